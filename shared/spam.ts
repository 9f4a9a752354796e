import { z } from 'zod';

/**
 * The mail server's judgement of a message as stored with it (`X-Spam-Status` / `X-Spam-Report` headers).
 * `scored` is false for messages the filter never saw (sent mail, drafts, mail from before the filter).
 */
export const SpamReport = z.object({
  scored: z.boolean(),
  verdict: z.enum(['ham', 'suspicious', 'spam']).nullable(),
  score: z.number().nullable(),
  threshold: z.number().nullable(),
  reference: z.string().nullable(),
  reasons: z.array(z.object({ rule: z.string(), score: z.number(), description: z.string() })),
});
export type SpamReport = z.infer<typeof SpamReport>;
