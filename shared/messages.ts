import { z } from 'zod';
import { Address } from './addresses.ts';

/** IMAP system flags as booleans; anything else (keywords) is kept by name. */
export const MessageFlags = z.object({
  seen: z.boolean(),
  flagged: z.boolean(),
  answered: z.boolean(),
  draft: z.boolean(),
  forwarded: z.boolean(),
  keywords: z.array(z.string()),
});
export type MessageFlags = z.infer<typeof MessageFlags>;

export const MessageSummary = z.object({
  folder: z.string(),
  uid: z.number().int().positive(),
  /** RFC 8474 ids; null when the server does not support OBJECTID. */
  emailId: z.string().nullable(),
  threadId: z.string().nullable(),
  messageId: z.string().nullable(),
  flags: MessageFlags,
  from: z.array(Address),
  to: z.array(Address),
  cc: z.array(Address),
  subject: z.string(),
  /** ISO 8601: the Date header, or the arrival time when that is missing or unreadable. */
  date: z.string(),
  size: z.number().int().nonnegative(),
  preview: z.string(),
  hasAttachments: z.boolean(),
});
export type MessageSummary = z.infer<typeof MessageSummary>;

/** One page, newest first. `nextCursor` is passed as `before` to get the next (older) page; null at the end. */
export const MessagePage = z.object({
  folder: z.string(),
  messages: z.array(MessageSummary),
  nextCursor: z.number().int().positive().nullable(),
  total: z.number().int().nonnegative(),
  unread: z.number().int().nonnegative(),
});
export type MessagePage = z.infer<typeof MessagePage>;

export const PageQuery = z.object({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type PageQuery = z.infer<typeof PageQuery>;

export const SearchQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(1000),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

export const Attachment = z.object({
  /** IMAP body part number, e.g. "2" or "1.3". */
  part: z.string(),
  filename: z.string(),
  contentType: z.string(),
  /** Encoded size as the server reports it; the decoded file is about 3/4 of that for base64. */
  size: z.number().int().nonnegative(),
  contentId: z.string().nullable(),
  inline: z.boolean(),
  /** Where to download it (same origin, session cookie). */
  url: z.string(),
});
export type Attachment = z.infer<typeof Attachment>;

export const MessageDetail = MessageSummary.extend({
  bcc: z.array(Address),
  replyTo: z.array(Address),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  /** Decoded plain text body, or null when the message has none. */
  text: z.string().nullable(),
  /** Sanitized HTML body (scripts, handlers, forms and active content removed; cid: links point at the gateway). */
  html: z.string().nullable(),
  /** True when a body was longer than the gateway shows and was cut. */
  truncated: z.boolean(),
  attachments: z.array(Attachment),
  /** Selected raw headers (name and decoded value), in message order. */
  headers: z.array(z.object({ name: z.string(), value: z.string() })),
  rawUrl: z.string(),
});
export type MessageDetail = z.infer<typeof MessageDetail>;

export const Thread = z.object({
  threadId: z.string(),
  /** Oldest first, across the folders searched (the conversation's folder, Sent and INBOX). */
  messages: z.array(MessageSummary),
});
export type Thread = z.infer<typeof Thread>;

export const MessageAction = z.enum([
  'seen',
  'unseen',
  'flag',
  'unflag',
  'move',
  'copy',
  'delete',
  'spam',
  'not-spam',
]);
export type MessageAction = z.infer<typeof MessageAction>;

export const ActionRequest = z
  .object({
    action: MessageAction,
    uids: z.array(z.number().int().positive()).min(1).max(10_000),
    /** Required for move and copy. */
    destination: z.string().min(1).max(1000).optional(),
  })
  .refine((r) => (r.action !== 'move' && r.action !== 'copy') || r.destination !== undefined, {
    message: 'destination is required for move and copy',
    path: ['destination'],
  });
export type ActionRequest = z.infer<typeof ActionRequest>;

export const ActionResult = z.object({
  action: MessageAction,
  /** Where the messages are now (for move, delete to Trash, spam, not-spam), with their new UIDs when known. */
  destination: z.string().nullable(),
  /** Old UID → new UID in the destination (from UIDPLUS), for undo. */
  uidMap: z.record(z.string(), z.number().int().positive()),
  /** True when delete expunged for good (messages already in Trash). */
  expunged: z.boolean(),
});
export type ActionResult = z.infer<typeof ActionResult>;
