// The part of smtp-server's (untyped) connection class that enhanced-codes.ts wraps.
declare module 'smtp-server/lib/smtp-connection.js' {
  export class SMTPConnection {
    send(code: number, data?: string | string[], context?: string | false): void;
  }
}
