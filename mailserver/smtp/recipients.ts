import type { Account, Directory } from '../directory/types.ts';
import { reply, type SmtpReply } from './replies.ts';

/** Where one RCPT TO goes: local accounts (an alias may fan out), or a refusal. */
export type RecipientDecision = { accounts: Account[] } | { refuse: SmtpReply };

const MAX_ALIAS_DEPTH = 5;

async function expand(directory: Directory, address: string, depth: number, seen: Set<string>): Promise<Account[]> {
  if (depth > MAX_ALIAS_DEPTH || seen.has(address)) return [];
  seen.add(address);
  const account = await directory.findAccount(address);
  if (account) return account.disabled ? [] : [account];
  const alias = await directory.findAlias(address);
  if (!alias) return [];
  const nested = await Promise.all(alias.targets.map((t) => expand(directory, t, depth + 1, seen)));
  return nested.flat();
}

/**
 * RCPT-time check (RFC 5321 §3.3): only addresses in our domains are accepted; anything else would make
 * us a relay, which inbound SMTP never is, whatever the client claims.
 */
export async function decideRecipient(directory: Directory, rawAddress: string): Promise<RecipientDecision> {
  const address = rawAddress.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const domain = at > 0 ? address.slice(at + 1) : '';
  if (!domain || !(await directory.hasDomain(domain))) {
    return { refuse: reply(554, '5.7.1', `Relaying denied: ${domain || 'that address'} is not a domain this server accepts mail for`) };
  }
  const accounts = await expand(directory, address, 0, new Set());
  if (accounts.length === 0) {
    return { refuse: reply(550, '5.1.1', `No such user here: <${address}> does not exist`) };
  }
  return { accounts };
}
