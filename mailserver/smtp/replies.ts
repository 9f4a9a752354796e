/**
 * SMTP replies a sender's postmaster can act on: code, enhanced status code (RFC 3463) and a sentence.
 * smtp-server turns an Error with `responseCode` into the reply line.
 */
export class SmtpReply extends Error {
  readonly responseCode: number;
  constructor(code: number, enhanced: string, text: string) {
    super(`${enhanced} ${text}`);
    this.responseCode = code;
  }
}

export const reply = (code: number, enhanced: string, text: string): SmtpReply => new SmtpReply(code, enhanced, text);
