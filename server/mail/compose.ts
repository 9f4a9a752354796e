import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { RecipientInput } from '../../shared/addresses.ts';
import type { ComposeRequest } from '../../shared/compose.ts';
import type { CompleteUpload } from './uploads.ts';

export interface ComposedMessage {
  messageId: string;
  /** What goes over SMTP: no Bcc header, so Bcc recipients stay hidden from the others. */
  transmitted: Buffer;
  /** What is kept in Sent or Drafts: with Bcc, so the sender sees whom they wrote to. */
  kept: Buffer;
  recipients: string[];
}

function formatRecipients(list: RecipientInput[]): { name: string; address: string }[] {
  return list.map((r) => ({ name: r.name ?? '', address: r.address }));
}

function bracketed(id: string): string {
  const bare = id.trim().replace(/^<|>$/g, '');
  return `<${bare}>`;
}

/** Every distinct envelope recipient, in the order written. */
export function envelopeRecipients(request: ComposeRequest): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of [...request.to, ...request.cc, ...request.bcc]) {
    const key = r.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r.address);
  }
  return out;
}

async function build(options: ConstructorParameters<typeof MailComposer>[0], keepBcc: boolean): Promise<Buffer> {
  const node = new MailComposer(options).compile();
  (node as unknown as { keepBcc: boolean }).keepBcc = keepBcc;
  return node.build();
}

/**
 * The message as MIME, built by nodemailer's composer (multipart/alternative for text+HTML, mixed with
 * attachments). Both copies share Message-ID and Date so Sent and the recipients hold the same message.
 */
export async function composeMessage(from: string, request: ComposeRequest, attachments: CompleteUpload[], now = new Date()): Promise<ComposedMessage> {
  const domain = from.split('@').pop() || 'localhost';
  const messageId = `<${randomBytes(16).toString('hex')}@${domain}>`;
  const references = request.references?.map(bracketed) ?? (request.inReplyTo ? [bracketed(request.inReplyTo)] : undefined);
  const options: ConstructorParameters<typeof MailComposer>[0] = {
    from,
    to: formatRecipients(request.to),
    cc: formatRecipients(request.cc),
    bcc: formatRecipients(request.bcc),
    subject: request.subject,
    text: request.text ?? (request.html === undefined ? '' : undefined),
    html: request.html,
    messageId,
    date: now,
    inReplyTo: request.inReplyTo ? bracketed(request.inReplyTo) : undefined,
    references,
    attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
    headers: { 'User-Agent': 'Mailwerk webmail' },
  };
  const [transmitted, kept] = await Promise.all([build(options, false), build(options, true)]);
  return { messageId, transmitted, kept, recipients: envelopeRecipients(request) };
}
