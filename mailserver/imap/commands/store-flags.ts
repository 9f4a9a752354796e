import { bad, no, ok, type CommandContext, type Completion } from '../context.ts';
import { flagList } from '../format.ts';
import { resolveMessages } from '../message-set.ts';
import type { StoreArgs } from '../protocol/types.ts';
import { compressUids } from '../protocol/writer.ts';

export async function storeCommand(ctx: CommandContext, args: StoreArgs, byUid: boolean): Promise<Completion> {
  const { session, services, out } = ctx;
  const view = session.view!;
  if (view.readOnly) return no('Mailbox is read-only (EXAMINE); SELECT it to change flags', 'READ-ONLY');
  if (args.flags.some((f) => f.toLowerCase() === '\\recent')) return bad('\\Recent cannot be set or cleared by clients');
  const target = resolveMessages(session, args.set, byUid);
  if (!target.ok) return bad(target.error);
  if (args.unchangedSince !== null) session.condstore = true;

  const result = await services.store.storeFlags(view.mailbox.id, target.uids, args.action, args.flags, args.unchangedSince ?? undefined);
  for (const change of result.changed) view.noteOwnChange(change.uid, change.modseq);
  if (!args.silent || session.condstore) {
    for (const change of result.changed) {
      const seq = view.seqOf(change.uid);
      if (seq === 0) continue;
      const uid = byUid || session.condstore ? `UID ${change.uid} ` : '';
      const flags = args.silent ? '' : `FLAGS ${flagList(change.flags, view.isRecent(change.uid))}`;
      const modseq = session.condstore ? `${flags ? ' ' : ''}MODSEQ (${change.modseq})` : '';
      await out.line(`* ${seq} FETCH (${uid}${flags}${modseq})`);
    }
  }
  if (result.modified.length > 0) {
    const list = byUid ? result.modified : result.modified.map((uid) => view.seqOf(uid)).sort((a, b) => a - b);
    return ok('Some messages were modified by someone else and left unchanged', `MODIFIED ${compressUids(list)}`);
  }
  return ok('Store completed');
}
