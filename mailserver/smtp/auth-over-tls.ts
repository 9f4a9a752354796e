import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/**
 * AUTH only inside TLS (RFC 4954 §4, RFC 8314): before STARTTLS the server neither advertises AUTH nor
 * starts an exchange that would make the client send its password in clear; AUTH is refused at once with
 * 538 5.7.11. smtp-server's own check can only be all-or-nothing, so the loopback exception
 * (MAILWERK_ALLOW_PLAINTEXT_LOOPBACK) lives in the server option `plaintextAuthAllowed`. Installed once, on
 * import; servers without that option are untouched.
 */
type PlaintextAuthCheck = (remoteAddress: string) => boolean;

interface ConnectionInternals {
  secure: boolean;
  remoteAddress: string;
  _server: { options: { authMethods: string[]; plaintextAuthAllowed?: PlaintextAuthCheck } };
  send(code: number, data?: string | string[], context?: string | false): void;
}

const proto = SMTPConnection.prototype as unknown as Record<string, (this: ConnectionInternals, command: Buffer, callback: () => void) => void>;
const originalEhlo = proto.handler_EHLO!;
const originalAuth = proto.handler_AUTH!;

const authHidden = (connection: ConnectionInternals): boolean => {
  const allowed = connection._server.options.plaintextAuthAllowed;
  return allowed !== undefined && !connection.secure && !allowed(connection.remoteAddress);
};

proto.handler_EHLO = function handlerEhlo(command, callback) {
  if (!authHidden(this)) return originalEhlo.call(this, command, callback);
  // The EHLO handler reads the AUTH methods synchronously; hide them for this one reply.
  const options = this._server.options;
  const methods = options.authMethods;
  options.authMethods = [];
  try {
    return originalEhlo.call(this, command, callback);
  } finally {
    options.authMethods = methods;
  }
};

proto.handler_AUTH = function handlerAuth(command, callback) {
  if (!authHidden(this)) return originalAuth.call(this, command, callback);
  this.send(538, '5.7.11 Encryption required: issue STARTTLS first or use the implicit-TLS port');
  callback();
};
