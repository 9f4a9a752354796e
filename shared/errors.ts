import { z } from 'zod';

/**
 * Every failure the gateway reports has one of these codes, so the client can react without parsing words.
 * The message is a sentence for people; `field` names the offending input for `invalid_request`.
 */
export const ApiErrorCode = z.enum([
  'invalid_request',
  'unauthenticated',
  'bad_credentials',
  'csrf',
  'throttled',
  'not_found',
  'conflict',
  'too_large',
  'send_refused',
  'mail_server_unavailable',
  'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

export const ApiError = z.object({
  error: z.object({
    code: ApiErrorCode,
    message: z.string(),
    field: z.string().optional(),
    /** For send_refused: the SMTP reply, e.g. "550 5.1.1 <x@example.net>: no such user". */
    serverReply: z.string().optional(),
    /** For send_refused: the recipients the server refused. */
    rejected: z.array(z.string()).optional(),
    /** For a failed send: where the gateway saved the message so nothing is lost. */
    draft: z.object({ folder: z.string(), uid: z.number().int().positive().nullable() }).optional(),
    /** For throttled: seconds until another try is worthwhile. */
    retryAfter: z.number().int().nonnegative().optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;
