import type { ImapFlow } from 'imapflow';
import type { ComposeRequest, DraftResult, SendResult } from '../../shared/compose.ts';
import type { Logger } from '../../mailserver/log/logger.ts';
import { GatewayError } from '../errors.ts';
import type { Session } from '../sessions/session-store.ts';
import { composeMessage, type ComposedMessage } from './compose.ts';
import { folderWithRole } from './folders.ts';
import { submitMessage, type SmtpEndpoint } from './submit.ts';

function attachmentsOf(session: Session, request: ComposeRequest) {
  return request.attachments.map((id) => session.uploads.take(id));
}

async function appendTo(client: ImapFlow, folder: string, raw: Buffer, flags: string[]): Promise<number | null> {
  const appended = await client.append(folder, raw, flags);
  return appended && appended.uid ? appended.uid : null;
}

async function removeDraft(client: ImapFlow, drafts: string, uid: number | undefined): Promise<void> {
  if (!uid) return;
  const lock = await client.getMailboxLock(drafts);
  try {
    await client.messageDelete(String(uid), { uid: true });
  } finally {
    lock.release();
  }
}

async function markOrigin(client: ImapFlow, origin: ComposeRequest['origin']): Promise<void> {
  if (!origin) return;
  const lock = await client.getMailboxLock(origin.folder);
  try {
    await client.messageFlagsAdd(String(origin.uid), [origin.kind === 'reply' ? '\\Answered' : '$Forwarded'], { uid: true });
  } finally {
    lock.release();
  }
}

/** Save to Drafts, replacing the earlier version; the new copy is written before the old one goes. */
export async function saveDraft(session: Session, request: ComposeRequest, prebuilt?: ComposedMessage): Promise<DraftResult> {
  const message = prebuilt ?? (await composeMessage(session.address, request, attachmentsOf(session, request)));
  const client = await session.imap.get();
  const drafts = await folderWithRole(client, 'drafts');
  const uid = await appendTo(client, drafts, message.kept, ['\\Draft', '\\Seen']);
  await removeDraft(client, drafts, request.draftUid);
  return { folder: drafts, uid, messageId: message.messageId };
}

/**
 * Send through submission with the user's own credentials, then file the copy in Sent. When the server
 * refuses, the message is saved to Drafts and the error says where, so nothing the user wrote is lost.
 */
export async function sendMessage(session: Session, request: ComposeRequest, smtp: SmtpEndpoint, log: Logger): Promise<SendResult> {
  if (request.to.length + request.cc.length + request.bcc.length === 0) throw new GatewayError('invalid_request', 'Add at least one recipient.', { field: 'to' });
  const message = await composeMessage(session.address, request, attachmentsOf(session, request));
  let submitted;
  try {
    submitted = await submitMessage(smtp, { user: session.address, pass: session.password }, { from: session.address, to: message.recipients }, message.transmitted);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    const draft = await saveDraft(session, request, message).catch(() => null);
    throw new GatewayError(error.code, error.message, { ...error.details, draft: draft ? { folder: draft.folder, uid: draft.uid } : undefined });
  }
  log.info('gateway.sent', { user: session.address, recipients: message.recipients.length, rejected: submitted.rejected.length });
  for (const id of request.attachments) session.uploads.delete(id);
  const client = await session.imap.get();
  let sent: { folder: string; uid: number | null } | null = null;
  try {
    const folder = await folderWithRole(client, 'sent');
    sent = { folder, uid: await appendTo(client, folder, message.kept, ['\\Seen']) };
    const drafts = request.draftUid ? await folderWithRole(client, 'drafts') : null;
    if (drafts) await removeDraft(client, drafts, request.draftUid);
    await markOrigin(client, request.origin);
  } catch (error) {
    // The mail is gone out; a missing Sent copy must not make the user send it again.
    log.warn('gateway.sent.copy_failed', { user: session.address, error: (error as Error).message });
  }
  return { messageId: message.messageId, accepted: submitted.accepted, rejected: submitted.rejected, sentUid: sent?.uid ?? null, sentFolder: sent?.folder ?? null };
}
