import { MailboxView } from '../mailbox-view.ts';
import { no, ok, type CommandContext, type Completion } from '../context.ts';
import { flagList, MAILBOX_FLAGS, PERMANENT_FLAGS } from '../format.ts';
import { resolveSet, setHas } from '../protocol/seqset.ts';
import type { QresyncParams, SelectArgs } from '../protocol/types.ts';
import { compressUids } from '../protocol/writer.ts';

/** Leave the selected mailbox (SELECT of another, CLOSE, UNSELECT). */
export async function deselect(ctx: CommandContext, expungeDeleted: boolean): Promise<void> {
  const view = ctx.session.view;
  if (!view) return;
  if (expungeDeleted && !view.readOnly) await ctx.services.store.expunge(view.mailbox.id).catch(() => []);
  ctx.session.view = null;
  ctx.session.state = 'authenticated';
}

export async function selectCommand(ctx: CommandContext, args: SelectArgs, readOnly: boolean): Promise<Completion> {
  const { session, out, services } = ctx;
  if (args.qresync && !session.enabled.has('QRESYNC')) return no('Enable QRESYNC before using it in SELECT', 'CANNOT');
  if (session.view) {
    await deselect(ctx, false);
    if (session.enabled.has('QRESYNC')) await out.line('* OK [CLOSED] Previous mailbox closed');
  }
  const mailbox = await services.store.getMailbox(session.account!.id, args.mailbox);
  if (!mailbox) return no('Mailbox does not exist', 'NONEXISTENT');
  if (args.condstore || args.qresync) session.condstore = true;

  // The mailbox row (and so its modseq) is read before the UID list: a change in between is reported twice, never missed.
  const uids = await services.store.uids(mailbox.id);
  const recentFrom = readOnly ? Number.MAX_SAFE_INTEGER : await services.store.claimRecent(mailbox.id);
  const view = new MailboxView(mailbox, uids, readOnly, recentFrom);
  view.reportRecent = !session.enabled.has('IMAP4REV2');
  session.view = view;
  session.state = 'selected';
  session.savedSearch = [];

  await out.line(`* FLAGS ${MAILBOX_FLAGS}`);
  await out.line(`* OK [PERMANENTFLAGS ${readOnly ? '()' : PERMANENT_FLAGS}] Flags the client may set`);
  await out.line(`* ${view.exists} EXISTS`);
  if (!session.enabled.has('IMAP4REV2')) {
    await out.line(`* ${view.recentCount} RECENT`);
    const firstUnseen = await firstUnseenSeq(ctx, view);
    if (firstUnseen > 0) await out.line(`* OK [UNSEEN ${firstUnseen}] First unseen message`);
  }
  await out.line(`* OK [UIDVALIDITY ${mailbox.uidValidity}] UIDs valid`);
  await out.line(`* OK [UIDNEXT ${view.uidNext}] Predicted next UID`);
  await out.line(`* OK [HIGHESTMODSEQ ${mailbox.highestModseq}] Highest modification sequence`);
  await out.line(`* OK [MAILBOXID (${mailbox.objectId})] Mailbox id`);
  if (args.qresync && args.qresync.uidValidity === mailbox.uidValidity) await resynchronize(ctx, view, args.qresync);
  return ok(`${readOnly ? 'Examine' : 'Select'} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

async function firstUnseenSeq(ctx: CommandContext, view: MailboxView): Promise<number> {
  const uid = await ctx.services.store.firstUnseen(view.mailbox.id);
  return uid === null ? 0 : view.seqOf(uid);
}

/** RFC 7162 §3.2.5: tell a reconnecting client what vanished and what changed since its modseq. */
async function resynchronize(ctx: CommandContext, view: MailboxView, params: QresyncParams): Promise<void> {
  const { store } = ctx.services;
  let vanished = await store.vanishedSince(view.mailbox.id, params.modSeq);
  if (params.knownUids) {
    const known = resolveSet(params.knownUids, Number.MAX_SAFE_INTEGER);
    vanished = vanished.filter((uid) => setHas(known, uid));
  }
  if (vanished.length > 0) await ctx.out.line(`* VANISHED (EARLIER) ${compressUids(vanished)}`);
  const changed = await store.changesSince(view.mailbox.id, params.modSeq, view.uidNext);
  const knownSet = params.knownUids ? resolveSet(params.knownUids, Number.MAX_SAFE_INTEGER) : null;
  for (const change of changed.changed) {
    if (knownSet && !setHas(knownSet, change.uid)) continue;
    const seq = view.seqOf(change.uid);
    if (seq === 0) continue;
    await ctx.out.line(`* ${seq} FETCH (UID ${change.uid} FLAGS ${flagList(change.flags, view.isRecent(change.uid))} MODSEQ (${change.modseq}))`);
  }
}

export async function closeCommand(ctx: CommandContext): Promise<Completion> {
  await deselect(ctx, true);
  return ok('Close completed');
}

export async function unselectCommand(ctx: CommandContext): Promise<Completion> {
  await deselect(ctx, false);
  return ok('Unselect completed');
}
