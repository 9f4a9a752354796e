import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** "::ffff:192.0.2.1" (an IPv4 client on a dual-stack socket) → "192.0.2.1". */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * A set of networks from CIDR strings ("10.0.0.0/8", "2001:db8::/32", or single addresses), for
 * MAILWERK_RELAY_NETWORKS: clients trusted to relay without AUTH. Nobody is in it by default, loopback
 * included (design.md: no client is trusted because of its address).
 */
export class NetworkList {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: string[]) {
    for (const cidr of cidrs) {
      const [base, bits] = cidr.split('/') as [string, string | undefined];
      const family = isIPv4(base) ? 'ipv4' : isIPv6(base) ? 'ipv6' : null;
      if (!family) throw new Error(`not a network: ${cidr}`);
      const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) throw new Error(`bad prefix length in ${cidr}`);
      this.list.addSubnet(base, prefix, family);
    }
    this.size = cidrs.length;
  }

  contains(address: string): boolean {
    if (this.size === 0) return false;
    const plain = plainAddress(address);
    if (isIPv4(plain)) return this.list.check(plain, 'ipv4');
    if (isIPv6(plain)) return this.list.check(plain, 'ipv6');
    return false;
  }
}
