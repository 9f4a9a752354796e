import type { Account, Directory, RelaySettings } from '../directory/types.ts';
import { parseHostPort } from '../queue/routes.ts';
import type { RecipientCallout } from './callout.ts';
import { reply, type SmtpReply } from './replies.ts';
import { withoutSubaddress } from './sender-policy.ts';
import { Srs } from './srs.ts';

/** Where one RCPT TO goes. */
export type RecipientDecision =
  /** Mailboxes here, plus addresses elsewhere that an alias forwards to (or an SRS bounce returns to). */
  | { kind: 'local'; accounts: Account[]; forwards: string[] }
  /** A relay domain: passed on to the customer's server. */
  | { kind: 'relay'; relay: RelaySettings }
  | { kind: 'refuse'; reply: SmtpReply };

export interface RecipientServices {
  directory: Directory;
  srs?: Srs;
  callout?: RecipientCallout;
  /** Our postmaster, for the bare `postmaster` recipient every server must accept (RFC 5321 §4.5.1). */
  postmaster?: string;
}

const MAX_ALIAS_DEPTH = 5;

const split = (address: string): [string, string] => {
  const at = address.lastIndexOf('@');
  return at > 0 ? [address.slice(0, at), address.slice(at + 1)] : [address, ''];
};

interface Expansion {
  accounts: Account[];
  forwards: string[];
}

async function expand(directory: Directory, address: string, depth: number, seen: Set<string>, into: Expansion): Promise<void> {
  if (depth > MAX_ALIAS_DEPTH || seen.has(address)) return;
  seen.add(address);
  const info = await directory.getDomain(split(address)[1]);
  if (!info || info.relay) {
    // Not a mailbox here: an alias pointing outside (or at a relay domain) forwards.
    if (depth > 0) into.forwards.push(address);
    return;
  }
  const account = (await directory.findAccount(address)) ?? (await directory.findAccount(withoutSubaddress(address)));
  if (account) {
    if (!account.disabled) into.accounts.push(account);
    return;
  }
  const alias = (await directory.findAlias(address)) ?? (await directory.findAlias(withoutSubaddress(address)));
  for (const target of alias?.targets ?? []) await expand(directory, target.toLowerCase(), depth + 1, seen, into);
}

async function decideRelay(services: RecipientServices, address: string, relay: RelaySettings): Promise<RecipientDecision> {
  if (relay.recipients) {
    if (relay.recipients.includes(address)) return { kind: 'relay', relay };
    return { kind: 'refuse', reply: reply(550, '5.1.1', `No such user: <${address}> is not a known recipient of this domain`) };
  }
  if (!services.callout) return { kind: 'relay', relay };
  const hop = parseHostPort(relay.nextHop, 25);
  const verdict = await services.callout.check({ ...hop, requireTls: relay.requireTls }, address);
  if (verdict === 'valid') return { kind: 'relay', relay };
  if (verdict === 'invalid') return { kind: 'refuse', reply: reply(550, '5.1.1', `No such user: the mail server of this domain does not know <${address}>`) };
  return { kind: 'refuse', reply: reply(451, '4.4.3', `Cannot verify <${address}> with the domain's mail server right now; please try again later`) };
}

/**
 * RCPT-time decision (RFC 5321 §3.3): addresses in our local domains (accounts, aliases, subaddresses,
 * SRS bounce addresses), addresses in relay domains that the customer's server knows, and nothing else —
 * anything else would make us an open relay, whatever the client claims.
 */
export async function decideRecipient(services: RecipientServices, rawAddress: string): Promise<RecipientDecision> {
  const given = rawAddress.trim().toLowerCase();
  const address = given === 'postmaster' && services.postmaster ? services.postmaster : given;
  const [local, domain] = split(address);
  const info = domain ? await services.directory.getDomain(domain) : null;
  if (!info) {
    return { kind: 'refuse', reply: reply(554, '5.7.1', `Relaying denied: ${domain || 'that address'} is not a domain this server accepts mail for`) };
  }
  if (info.relay) return decideRelay(services, address, info.relay);
  if (services.srs && Srs.isSrs(local)) {
    const original = services.srs.reverse(rawAddress.trim().slice(0, rawAddress.trim().lastIndexOf('@')));
    if (original) return { kind: 'local', accounts: [], forwards: [original] };
    return { kind: 'refuse', reply: reply(550, '5.1.1', `No such user: <${address}> is not a valid or current return address`) };
  }
  const found: Expansion = { accounts: [], forwards: [] };
  await expand(services.directory, address, 0, new Set(), found);
  if (found.accounts.length === 0 && found.forwards.length === 0) {
    return { kind: 'refuse', reply: reply(550, '5.1.1', `No such user here: <${address}> does not exist`) };
  }
  return { kind: 'local', accounts: found.accounts, forwards: [...new Set(found.forwards)] };
}
