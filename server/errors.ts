import type { ApiError, ApiErrorCode } from '../shared/errors.ts';

type Details = Omit<ApiError['error'], 'code' | 'message'>;

/** A failure the API reports as a typed error; the HTTP layer picks the status from the code. */
export class GatewayError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details: Details = {},
  ) {
    super(message);
  }

  toBody(): ApiError {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export const STATUS_BY_CODE: Record<ApiErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  bad_credentials: 401,
  csrf: 403,
  throttled: 429,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  send_refused: 422,
  mail_server_unavailable: 503,
  internal: 500,
};
