import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../../mailserver/log/logger.ts';
import { GatewayError, STATUS_BY_CODE } from '../errors.ts';
import { translateImapError } from '../mail/imap-errors.ts';

export function errorResponse(c: Context, error: GatewayError): Response {
  const status = STATUS_BY_CODE[error.code];
  if (error.details.retryAfter !== undefined) c.header('Retry-After', String(error.details.retryAfter));
  // The refused body may be partly unread; closing tells the client not to reuse the connection for more.
  if (error.code === 'too_large') c.header('Connection', 'close');
  return c.json(error.toBody(), status as 400);
}

/** Every failure becomes a typed JSON error; unexpected ones are logged with a reference and never echoed. */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context): Response => {
    if (error instanceof GatewayError) return errorResponse(c, error);
    if (error instanceof HTTPException && error.status === 413) return errorResponse(c, new GatewayError('too_large', 'The request is larger than allowed.'));
    const translated = translateImapError(error);
    if (translated) return errorResponse(c, translated);
    const reference = Math.random().toString(36).slice(2, 10).toUpperCase();
    log.error('gateway.error', { reference, path: c.req.path, error: error.message, stack: error.stack?.split('\n').slice(0, 6).join(' | ') });
    return errorResponse(c, new GatewayError('internal', `Something went wrong on our side (reference ${reference}).`));
  };
}
