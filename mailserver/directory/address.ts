/** Address rules shared by every directory backend. */

export interface AddressCheck {
  ok: boolean;
  address: string;
  local: string;
  domain: string;
  reason?: string;
}

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

export function isDomainName(domain: string): boolean {
  return domain.length <= 253 && DOMAIN.test(domain);
}

/** Lower-cases and checks `local@domain` (dot-atom local part; no quoted local parts for accounts). */
export function parseAddress(input: string): AddressCheck {
  const address = input.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const local = at > 0 ? address.slice(0, at) : '';
  const domain = at > 0 ? address.slice(at + 1) : '';
  const fail = (reason: string) => ({ ok: false, address, local, domain, reason });
  if (at <= 0) return fail('must be an address like user@example.com');
  if (local.length > 64 || !LOCAL.test(local)) return fail('has an invalid local part');
  if (!isDomainName(domain)) return fail('has an invalid domain');
  return { ok: true, address, local, domain };
}
