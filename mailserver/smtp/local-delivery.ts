import type { Account } from '../directory/types.ts';
import { StoreError, type MailStore } from '../store/types.ts';

/** How delivering one message to several local accounts went. */
export interface LocalDeliveryResult {
  delivered: Account[];
  failed: Array<{ account: Account; error: unknown }>;
}

export const isOverQuota = (error: unknown): boolean => error instanceof StoreError && error.code === 'OVERQUOTA';

/**
 * Store one message in a mailbox of each account; resolves once every copy is committed (the store's
 * group commit puts them in one fsync). One account's failure does not stop the others.
 */
export async function deliverToAccounts(store: MailStore, accounts: Account[], raw: Buffer, mailboxName = 'INBOX', flags: string[] = []): Promise<LocalDeliveryResult> {
  const results = await Promise.allSettled(
    accounts.map(async (account) => {
      const mailbox = await store.getMailbox(account.id, mailboxName);
      if (!mailbox) throw new StoreError('NONEXISTENT', `${mailboxName} is missing for ${account.address}`);
      await store.append(account.id, mailbox.id, [{ raw, flags }]);
    }),
  );
  const result: LocalDeliveryResult = { delivered: [], failed: [] };
  results.forEach((outcome, i) => {
    const account = accounts[i]!;
    if (outcome.status === 'fulfilled') result.delivered.push(account);
    else result.failed.push({ account, error: outcome.reason });
  });
  return result;
}
