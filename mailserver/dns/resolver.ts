import { Resolver as NodeResolver } from 'node:dns/promises';

/** A DNS lookup failure, reduced to what callers act on: the name does not exist, or try later. */
export type DnsFailure = 'NOT_FOUND' | 'TEMPORARY';

export class DnsError extends Error {
  constructor(
    readonly failure: DnsFailure,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** Answers that mean "no such record" rather than "could not find out". */
const NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * The one resolver every lookup goes through (MX, SPF, DKIM, DMARC, DNSBL, reverse DNS). With
 * `MAILWERK_DNS` set it asks only that server, so tests and private deployments serve their own zones.
 */
export class DnsResolver {
  private readonly resolver: NodeResolver;

  constructor(server?: string, timeoutMs = 5000) {
    this.resolver = new NodeResolver({ timeout: timeoutMs, tries: 2 });
    if (server) this.resolver.setServers([server]);
  }

  mx(name: string): Promise<MxRecord[]> {
    return this.wrap(name, 'MX', () => this.resolver.resolveMx(name));
  }

  a(name: string): Promise<string[]> {
    return this.wrap(name, 'A', () => this.resolver.resolve4(name));
  }

  aaaa(name: string): Promise<string[]> {
    return this.wrap(name, 'AAAA', () => this.resolver.resolve6(name));
  }

  /** TXT records, each one's character strings joined (as SPF, DKIM and DMARC read them). */
  async txt(name: string): Promise<string[]> {
    const records = await this.wrap(name, 'TXT', () => this.resolver.resolveTxt(name));
    return records.map((parts) => parts.join(''));
  }

  ptr(address: string): Promise<string[]> {
    return this.wrap(address, 'PTR', () => this.resolver.reverse(address));
  }

  /**
   * A resolver function in the shape `dns.promises.resolve` has, for libraries (mailauth) that take one.
   * Errors keep Node's codes, which those libraries interpret themselves.
   */
  readonly resolve = (name: string, rrtype = 'A'): Promise<unknown> => this.resolver.resolve(name, rrtype as 'A');

  /** Addresses of a host, IPv4 first; empty when it has none, DnsError(TEMPORARY) when DNS fails. */
  async addresses(host: string): Promise<string[]> {
    const settle = (p: Promise<string[]>) =>
      p.catch((error: unknown) => {
        if (error instanceof DnsError && error.failure === 'NOT_FOUND') return [];
        throw error;
      });
    const [v4, v6] = await Promise.all([settle(this.a(host)), settle(this.aaaa(host))]);
    return [...v4, ...v6];
  }

  private async wrap<T>(name: string, type: string, lookup: () => Promise<T>): Promise<T> {
    try {
      return await lookup();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      const failure: DnsFailure = NOT_FOUND_CODES.has(code) ? 'NOT_FOUND' : 'TEMPORARY';
      throw new DnsError(failure, code, `${type} lookup for ${name} failed: ${code}`);
    }
  }
}
