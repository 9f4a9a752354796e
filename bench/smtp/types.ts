/**
 * Shared vocabulary of the SMTP benchmark: what load is sent, what a server under test must offer, and what
 * one measurement yields. Each server (Mailwerk, Postfix) is a `ServerSetup` that starts a throw-away
 * instance for a `Mode`; `measure.ts` drives any of them the same way.
 */

/**
 * - `local`: inbound mail for a local mailbox; done when every message is stored in that mailbox.
 * - `relay`: mail for a remote domain; done when every message has reached an `smtp-sink` through the
 *   server's outbound queue.
 */
export type Mode = 'local' | 'relay';
export const MODES: readonly Mode[] = ['local', 'relay'];

export type ServerName = 'mailwerk' | 'postfix';
export const SERVERS: readonly ServerName[] = ['mailwerk', 'postfix'];

/** What `smtp-source` sends. */
export interface LoadSpec {
  messages: number;
  /** Parallel SMTP sessions (`smtp-source -s`). */
  sessions: number;
  /** Body bytes per message (`smtp-source -l`); smtp-source adds ~120 bytes of headers. */
  size: number;
  /** One connection per session for all its messages (`smtp-source -d`) instead of one per message. */
  reuseConnections: boolean;
  sender: string;
}

/** Progress reported while waiting for delivery; used to detect a stall. */
export type ProgressFn = (delivered: number) => void;

/** A started server, ready to take the load. */
export interface SmtpTarget {
  /** Where smtp-source connects. */
  host: string;
  port: number;
  /** The envelope recipient of every message. */
  recipient: string;
  /** Root of the process tree whose memory is sampled. */
  pid: number;
  /** One line each: version, configuration, what "delivered" means here. */
  describe: string[];
  /** Called just before the clock starts (e.g. log into IMAP so the final check costs no login). */
  prepare(): Promise<void>;
  /**
   * Resolves with the number of messages verified at the destination once it reaches `expected`; rejects
   * when the count stops growing for `stallMs` or the server dies.
   */
  waitDelivered(expected: number, stallMs: number): Promise<number>;
  /** Bytes stored per delivered message (average), when the destination can tell; after the clock stops. */
  storedBytesPerMessage(): Promise<number | null>;
  /** Extra lines for the report, learnt during the run (e.g. DNS lookups per message); after the clock stops. */
  notes(delivered: number): string[];
  /** Last lines of the server's log, for error messages. */
  logTail(): string;
  /** Stop the server and delete everything it wrote; safe to call twice. */
  stop(): Promise<void>;
  /** Synchronous last resort from a process 'exit' handler. */
  killNow(): void;
}

/** A mode a server cannot be measured in yet (printed, not an error). */
export interface Unavailable {
  unavailable: string;
}

export interface SetupOptions {
  mode: Mode;
  load: LoadSpec;
  keepDir: boolean;
  log: (line: string) => void;
}

export type ServerSetup = (opts: SetupOptions) => Promise<SmtpTarget | Unavailable>;

export interface Measurement {
  server: ServerName;
  mode: Mode;
  run: number;
  /** smtp-source start to its exit: every message got its 250. */
  acceptedMs: number;
  /** smtp-source start until all messages were verified at the destination. */
  deliveredMs: number;
  delivered: number;
  expected: number;
  storedBytesPerMessage: number | null;
  peak: { rssKB: number; pssKB: number | null; processes: number } | null;
  describe: string[];
}
