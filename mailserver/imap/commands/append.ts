import { normalizeMailboxName } from '../../store/names.ts';
import { bad, no, ok, type CommandContext, type Completion } from '../context.ts';
import type { AppendArgs } from '../protocol/types.ts';
import { compressUids } from '../protocol/writer.ts';
import { guarded } from './errors.ts';

/** APPEND, with MULTIAPPEND (all or nothing) and UIDPLUS's APPENDUID. Acknowledged only once durable. */
export async function appendCommand(ctx: CommandContext, args: AppendArgs): Promise<Completion> {
  const { services, session } = ctx;
  if (!normalizeMailboxName(args.mailbox).ok) return no('Invalid mailbox name', 'CANNOT');
  const mailbox = await services.store.getMailbox(session.account!.id, args.mailbox);
  if (!mailbox) return no('Mailbox does not exist; create it first', 'TRYCREATE');
  if (args.messages.some((m) => m.data.length === 0)) return bad('An empty message cannot be appended');
  const limit = services.config.imap.maxLiteralBytes;
  if (args.messages.some((m) => m.data.length > limit)) return no(`Message is larger than the ${limit}-byte limit`, 'TOOBIG');
  return guarded(async () => {
    const result = await services.store.append(
      session.account!.id,
      mailbox.id,
      args.messages.map((m) => ({ raw: m.data, flags: m.flags, internalDate: m.date ?? undefined })),
    );
    ctx.log.debug('append', { mailbox: mailbox.name, count: result.uids.length });
    return ok('Append completed', `APPENDUID ${result.uidValidity} ${compressUids(result.uids)}`);
  });
}
