import type { CommandContext } from './context.ts';
import { flagList } from './format.ts';
import { compressUids } from './protocol/writer.ts';

/**
 * Tell the client what changed in its selected mailbox. `allowExpunge` is false while the client may be
 * relying on sequence numbers (during FETCH, STORE and SEARCH, RFC 9051 §7.5.1).
 */
export async function sendUpdates(ctx: CommandContext, allowExpunge: boolean): Promise<void> {
  const view = ctx.session.view;
  if (!view) return;
  const update = await view.sync(ctx.services.store, allowExpunge, true);
  const { out, session } = ctx;
  if (update.expunged.length > 0) {
    if (session.enabled.has('QRESYNC')) {
      await out.line(`* VANISHED ${compressUids(update.expunged.map((e) => e.uid).sort((a, b) => a - b))}`);
    } else {
      for (const { seq } of update.expunged) await out.line(`* ${seq} EXPUNGE`);
    }
  }
  if (update.exists !== null) await out.line(`* ${update.exists} EXISTS`);
  if (update.recent !== null && !session.enabled.has('IMAP4REV2')) await out.line(`* ${update.recent} RECENT`);
  for (const change of update.changed) {
    const modseq = session.condstore ? ` MODSEQ (${change.modseq})` : '';
    await out.line(`* ${change.seq} FETCH (UID ${change.uid} FLAGS ${flagList(change.flags, view.isRecent(change.uid))}${modseq})`);
  }
}
