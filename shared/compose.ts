import { z } from 'zod';
import { RecipientInput } from './addresses.ts';

/** Limits the gateway enforces on uploads; the client shows them before the user tries. */
export const UPLOAD_CHUNK_MAX_BYTES = 1024 * 1024;

export const UploadCreateRequest = z.object({
  filename: z.string().trim().min(1).max(255),
  contentType: z
    .string()
    .trim()
    .max(255)
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type like image/png')
    .default('application/octet-stream'),
  size: z.number().int().nonnegative(),
});
export type UploadCreateRequest = z.infer<typeof UploadCreateRequest>;

export const Upload = z.object({
  id: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  complete: z.boolean(),
});
export type Upload = z.infer<typeof Upload>;

export const ComposeRequest = z.object({
  to: z.array(RecipientInput).max(500).default([]),
  cc: z.array(RecipientInput).max(500).default([]),
  bcc: z.array(RecipientInput).max(500).default([]),
  subject: z.string().max(998).default(''),
  text: z.string().max(10_000_000).optional(),
  html: z.string().max(20_000_000).optional(),
  /** Ids from POST /api/uploads, all complete. */
  attachments: z.array(z.string()).max(100).default([]),
  inReplyTo: z.string().max(998).optional(),
  references: z.array(z.string().max(998)).max(100).optional(),
  /** The draft this message replaces (deleted from Drafts once saved or sent). */
  draftUid: z.number().int().positive().optional(),
  /** The message this answers or forwards; it gets \Answered or $Forwarded once sent. */
  origin: z
    .object({ folder: z.string().min(1).max(1000), uid: z.number().int().positive(), kind: z.enum(['reply', 'forward']) })
    .optional(),
});
export type ComposeRequest = z.infer<typeof ComposeRequest>;

export const SendResult = z.object({
  messageId: z.string(),
  accepted: z.array(z.string()),
  /** Recipients the server refused while accepting others, each with the server's reply. */
  rejected: z.array(z.object({ address: z.string(), reply: z.string() })),
  /** UID of the copy in Sent, or null when the copy could not be made (the mail was still sent). */
  sentUid: z.number().int().positive().nullable(),
  sentFolder: z.string().nullable(),
});
export type SendResult = z.infer<typeof SendResult>;

export const DraftResult = z.object({
  folder: z.string(),
  uid: z.number().int().positive().nullable(),
  messageId: z.string(),
});
export type DraftResult = z.infer<typeof DraftResult>;
