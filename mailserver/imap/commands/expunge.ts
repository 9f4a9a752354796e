import { no, ok, type CommandContext, type Completion } from '../context.ts';
import { resolveMessages } from '../message-set.ts';
import type { ExpungeArgs } from '../protocol/types.ts';

/** EXPUNGE and UID EXPUNGE; the untagged EXPUNGE/VANISHED responses come from the update that follows. */
export async function expungeCommand(ctx: CommandContext, args: ExpungeArgs): Promise<Completion> {
  const view = ctx.session.view!;
  if (view.readOnly) return no('Mailbox is read-only (EXAMINE)', 'READ-ONLY');
  let uids: number[] | undefined;
  if (args.set !== null) {
    const target = resolveMessages(ctx.session, args.set, true);
    if (!target.ok) return no(target.error);
    uids = target.uids;
  }
  await ctx.services.store.expunge(view.mailbox.id, uids);
  return ok('Expunge completed');
}
