import type { SMTPServerSession } from 'smtp-server';
import { composeDsn } from '../queue/dsn.ts';
import type { NewQueuedMessage, NotifyOn, RecipientDsn } from '../queue/types.ts';

/** What the client asked for with the DSN extension (RFC 3461): MAIL FROM … RET= ENVID=, RCPT TO … NOTIFY= ORCPT=. */
export interface DsnRequest {
  envelopeId?: string;
  returnFull: boolean;
  recipients: RecipientDsn[];
}

type DsnSession = SMTPServerSession & {
  envelope: { dsn?: { ret?: string; envid?: string } };
};

export function dsnRequest(session: SMTPServerSession): DsnRequest {
  const envelope = (session as DsnSession).envelope;
  const recipients: RecipientDsn[] = [];
  for (const rcpt of session.envelope.rcptTo) {
    const dsn = (rcpt as { dsn?: { notify?: string[]; orcpt?: string } }).dsn;
    if (dsn?.notify || dsn?.orcpt) recipients.push({ address: rcpt.address, notify: dsn.notify as NotifyOn[] | undefined, orcpt: dsn.orcpt });
  }
  return { envelopeId: envelope.dsn?.envid, returnFull: envelope.dsn?.ret === 'FULL', recipients };
}

/** The DSN fields of a queue entry for these recipients. */
export function queueDsnFields(request: DsnRequest): Pick<NewQueuedMessage, 'envelopeId' | 'returnFull' | 'dsn'> {
  return { envelopeId: request.envelopeId, returnFull: request.returnFull, dsn: request.recipients };
}

/**
 * A "delivered" report for local recipients that asked for NOTIFY=SUCCESS, to go out through the queue
 * from <>; null when nobody asked (or the sender is <>, which never gets reports).
 */
export function localSuccessReport(
  request: DsnRequest,
  delivered: string[],
  sender: string,
  raw: Buffer,
  reporting: { hostname: string; postmaster: string },
): NewQueuedMessage | null {
  const wanted = request.recipients.filter((r) => r.notify?.includes('SUCCESS') && delivered.includes(r.address.toLowerCase()));
  if (wanted.length === 0 || sender === '') return null;
  const now = new Date();
  const report = composeDsn({
    reportingMta: reporting.hostname,
    postmaster: reporting.postmaster,
    to: sender,
    envelopeId: request.envelopeId,
    arrivalDate: now,
    recipients: wanted.map((r) => ({ address: r.address, originalRecipient: r.orcpt, action: 'delivered', status: '2.0.0', lastAttempt: now })),
    original: raw,
    returnFullMessage: request.returnFull,
  });
  return { sender: '', recipients: [sender], raw: report, origin: 'dsn' };
}
