/** The outbound queue's records: one message, many recipients, each with its own fate. */

/** Why a message entered the queue; kept for `mailwerk queue list` and the logs. */
export type QueueOrigin = 'submission' | 'relay' | 'forward' | 'dsn';

export type RecipientState = 'queued' | 'delivered' | 'failed';

export interface NewQueuedMessage {
  /** Envelope sender; empty for bounces (which must never bounce again). */
  sender: string;
  recipients: string[];
  raw: Buffer;
  origin: QueueOrigin;
  /** RFC 3461 ENVID and RET, echoed in bounces. */
  envelopeId?: string;
  returnFull?: boolean;
}

export interface QueuedRecipient {
  messageId: string;
  address: string;
  domain: string;
  state: RecipientState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** A delay warning has already been sent for this recipient. */
  warned: boolean;
}

export interface QueuedMessage {
  id: string;
  sender: string;
  origin: QueueOrigin;
  createdAt: number;
  size: number;
  envelopeId: string | null;
  returnFull: boolean;
  recipients: QueuedRecipient[];
}

/** What one delivery attempt decided for one recipient. */
export type AttemptOutcome =
  | { kind: 'delivered'; reply: string; remote: string }
  | { kind: 'temporary'; reply: string; status: string; remote?: string }
  | { kind: 'permanent'; reply: string; status: string; remote?: string };
