/** The outbound queue's records: one message, many recipients, each with its own fate. */

/** Why a message entered the queue; kept for `mailwerk queue list` and the logs. */
export type QueueOrigin = 'submission' | 'relay' | 'forward' | 'dsn';

export type RecipientState = 'queued' | 'delivered' | 'failed';

/** RFC 3461 NOTIFY: when the sender wants a report. Absent means the default (failures and delays). */
export type NotifyOn = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

/** DSN parameters a client gave for one recipient (RCPT TO … NOTIFY= ORCPT=). */
export interface RecipientDsn {
  address: string;
  notify?: NotifyOn[];
  orcpt?: string;
}

export interface NewQueuedMessage {
  /** Envelope sender; empty for bounces (which must never bounce again). */
  sender: string;
  recipients: string[];
  raw: Buffer;
  origin: QueueOrigin;
  /** RFC 3461 ENVID and RET, echoed in bounces. */
  envelopeId?: string;
  returnFull?: boolean;
  /** Per-recipient NOTIFY and ORCPT, for the recipients that had them. */
  dsn?: RecipientDsn[];
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
  notify: NotifyOn[] | null;
  orcpt: string | null;
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
