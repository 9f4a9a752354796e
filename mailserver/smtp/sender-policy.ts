import type { Account, Directory } from '../directory/types.ts';

/** "user+tag@example.org" → "user@example.org": subaddresses belong to their user. */
export function withoutSubaddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const local = address.slice(0, at);
  const plus = local.indexOf('+');
  return plus > 0 ? `${local.slice(0, plus)}${address.slice(at)}` : address;
}

/**
 * May this account use `sender` as its envelope or From address? Its own address (and subaddresses of
 * it), or an alias that delivers to it. Anything else would let one user write as another.
 */
export async function maySendAs(directory: Directory, account: Account, sender: string): Promise<boolean> {
  const given = sender.trim().toLowerCase();
  if (given === account.address) return true;
  const address = withoutSubaddress(given);
  if (address === account.address) return true;
  const alias = await directory.findAlias(address);
  return alias !== null && alias.targets.some((t) => t.toLowerCase() === account.address);
}
