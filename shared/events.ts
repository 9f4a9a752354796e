import { z } from 'zod';
import { MessageFlags, MessageSummary } from './messages.ts';

/** Server-sent events on GET /api/events; the SSE `event:` field is the `type`. */
export const MailEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), folder: z.string() }),
  z.object({ type: z.literal('new'), folder: z.string(), messages: z.array(MessageSummary) }),
  z.object({ type: z.literal('flags'), folder: z.string(), uid: z.number().int().positive(), flags: MessageFlags }),
  z.object({ type: z.literal('expunge'), folder: z.string(), uids: z.array(z.number().int().positive()) }),
  z.object({ type: z.literal('counts'), folder: z.string(), total: z.number().int(), unread: z.number().int() }),
]);
export type MailEvent = z.infer<typeof MailEvent>;
