import { bad, no, ok, type CommandContext, type Completion } from '../context.ts';
import { resolveMessages } from '../message-set.ts';
import type { CopyArgs } from '../protocol/types.ts';
import { compressUids } from '../protocol/writer.ts';
import { guarded } from './errors.ts';

/** COPY and MOVE with UIDPLUS's COPYUID; MOVE's expunges reach the client through the normal update path. */
export async function copyCommand(ctx: CommandContext, args: CopyArgs, byUid: boolean, move: boolean): Promise<Completion> {
  const { session, services, out } = ctx;
  const view = session.view!;
  if (move && view.readOnly) return no('Mailbox is read-only (EXAMINE); messages cannot be moved out of it', 'READ-ONLY');
  const target = resolveMessages(session, args.set, byUid);
  if (!target.ok) return bad(target.error);
  const destination = await services.store.getMailbox(session.account!.id, args.mailbox);
  if (!destination) return no('Destination mailbox does not exist', 'TRYCREATE');
  if (target.uids.length === 0) return ok(move ? 'No messages to move' : 'No messages to copy');
  return guarded(async () => {
    const result = move
      ? await services.store.move(view.mailbox.id, target.uids, destination.id)
      : await services.store.copy(view.mailbox.id, target.uids, destination.id);
    const code = `COPYUID ${result.uidValidity} ${compressUids(result.sourceUids)} ${compressUids(result.destinationUids)}`;
    if (move) {
      // RFC 6851: COPYUID goes in an untagged OK before the expunges, so the tagged OK can report completion.
      await out.line(`* OK [${code}] Moved`);
      return ok('Move completed');
    }
    return ok('Copy completed', code);
  });
}
