import type { Account } from '../directory/types.ts';
import { StoreError, type MailStore } from '../store/types.ts';

/** How delivering one message to several local accounts went. */
export interface LocalDeliveryResult {
  delivered: Account[];
  failed: Array<{ account: Account; error: unknown }>;
}

export const isOverQuota = (error: unknown): boolean => error instanceof StoreError && error.code === 'OVERQUOTA';

/**
 * Store one message in a mailbox of each account: its bytes once, shared (a message to many recipients is
 * stored once), each copy with its own UID. Resolves once every copy is committed, in one fsync. One
 * account's failure (a full mailbox) does not stop the others.
 */
export async function deliverToAccounts(store: MailStore, accounts: Account[], raw: Buffer, mailboxName = 'INBOX', flags: string[] = []): Promise<LocalDeliveryResult> {
  const result: LocalDeliveryResult = { delivered: [], failed: [] };
  const ready: Array<{ account: Account; mailboxId: number }> = [];
  for (const account of accounts) {
    const mailbox = await store.getMailbox(account.id, mailboxName).catch(() => null);
    if (mailbox) ready.push({ account, mailboxId: mailbox.id });
    else result.failed.push({ account, error: new StoreError('NONEXISTENT', `${mailboxName} is missing for ${account.address}`) });
  }
  const outcomes = await store.deliver(
    ready.map(({ account, mailboxId }) => ({ accountId: account.id, mailboxId })),
    { raw, flags },
  );
  outcomes.forEach((outcome, i) => {
    const { account } = ready[i]!;
    if (outcome.ok) result.delivered.push(account);
    else result.failed.push({ account, error: outcome.error });
  });
  return result;
}
