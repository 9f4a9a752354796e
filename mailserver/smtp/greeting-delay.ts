import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/**
 * smtp-server waits a fixed 100 ms before every greeting to catch clients that talk first. That costs a
 * server taking one message per connection (as most MTAs send) a tenth of a second per message, and the
 * pause is only worth it for unknown clients (the spam defence's pregreet test). Here the delay comes from
 * the server option `greetingDelayMs(remoteAddress)`: 0 greets at once. Installed once, on import;
 * servers without the option keep the library's behaviour.
 */
interface ConnectionInternals {
  remoteAddress: string;
  _server: { connections: Set<unknown>; options: { maxClients?: number; greetingDelayMs?: (remoteAddress: string) => number } };
  _setListeners(callback: () => void): void;
  connectionReady(): void;
  send(code: number, data?: string, context?: string | false): void;
  name: string;
}

const proto = SMTPConnection.prototype as unknown as Record<string, (this: ConnectionInternals) => void>;
const originalInit = proto.init!;

proto.init = function init() {
  const delayFor = this._server.options.greetingDelayMs;
  if (!delayFor) return originalInit.call(this);
  this._setListeners(() => {
    const { maxClients } = this._server.options;
    if (maxClients && this._server.connections.size > maxClients) {
      return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
    }
    const delay = delayFor(this.remoteAddress);
    // An unref'd setImmediate would let the event loop sleep in poll until unrelated I/O arrives, delaying
    // the greeting by seconds; only the (possibly long) timer is unref'd, as the library does.
    if (delay <= 0) setImmediate(() => this.connectionReady());
    else setTimeout(() => this.connectionReady(), delay).unref();
  });
};
