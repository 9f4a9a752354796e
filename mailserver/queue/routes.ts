import { DnsError, type DnsResolver, type MxRecord } from '../dns/resolver.ts';
import { MtaStsPolicies } from './mta-sts.ts';

/** A host to try, in order of preference. */
export interface RouteHost {
  host: string;
  port: number;
}

export interface Route {
  hosts: RouteHost[];
  requireTls: boolean;
  verifyCertificate: boolean;
  /** Where the hosts came from, for logs and `queue list`. */
  via: 'smarthost' | 'next-hop' | 'mx' | 'address';
  /** The security policy that set requireTls/verifyCertificate, if any. */
  policy?: 'mta-sts';
}

/** The route could not be found; `permanent` means retrying cannot help (no such domain, null MX). */
export class RouteFailure extends Error {
  constructor(
    readonly permanent: boolean,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

export interface NextHop {
  host: string;
  port: number;
  requireTls: boolean;
}

export interface RoutingOptions {
  resolver: DnsResolver;
  /** Port used for MX and address routes (25 on the internet; tests point it at their own listener). */
  mxPort: number;
  smarthost?: NextHop;
  /** Relay domains (filtering relay for a customer's server) name their next hop themselves. */
  nextHopFor?: (domain: string) => Promise<NextHop | null>;
  /** MTA-STS policies; without it, delivery is opportunistic only. */
  mtaSts?: MtaStsPolicies;
}

/** "host:port", "[host]:port" or "host" → host and port. */
export function parseHostPort(value: string, defaultPort: number): RouteHost {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  const colon = value.lastIndexOf(':');
  if (colon > 0 && value.indexOf(':') === colon) return { host: value.slice(0, colon), port: Number(value.slice(colon + 1)) };
  return { host: value, port: defaultPort };
}

/**
 * Where mail for `domain` goes (RFC 5321 §5.1): a configured next hop or smarthost, else the MX hosts by
 * preference, else the domain's own address records. A null MX (RFC 7505) means the domain takes no mail.
 */
export async function routeFor(domain: string, options: RoutingOptions): Promise<Route> {
  const nextHop = await options.nextHopFor?.(domain);
  if (nextHop) return { hosts: [{ host: nextHop.host, port: nextHop.port }], requireTls: nextHop.requireTls, verifyCertificate: false, via: 'next-hop' };
  if (options.smarthost) {
    const s = options.smarthost;
    return { hosts: [{ host: s.host, port: s.port }], requireTls: s.requireTls, verifyCertificate: false, via: 'smarthost' };
  }
  let records: MxRecord[];
  try {
    records = await options.resolver.mx(domain);
  } catch (error) {
    if (!(error instanceof DnsError) || error.failure === 'TEMPORARY') {
      throw new RouteFailure(false, '4.4.3', `DNS lookup of the MX for ${domain} failed; will retry`);
    }
    records = [];
  }
  const exchanges = [...records].sort((a, b) => a.priority - b.priority).map((r) => r.exchange.replace(/\.$/, ''));
  if (exchanges.length === 1 && exchanges[0] === '') {
    throw new RouteFailure(true, '5.1.10', `${domain} publishes a null MX: it accepts no mail`);
  }
  const named = exchanges.filter((e) => e !== '');
  const policy = await options.mtaSts?.policyFor(domain);
  if (policy?.mode === 'enforce') {
    // RFC 8461 §5: only MX hosts the policy names, only over TLS with a valid certificate for that name.
    const permitted = MtaStsPolicies.permitted(named, policy);
    if (permitted.length === 0) throw new RouteFailure(false, '4.7.5', `no MX host of ${domain} is permitted by its MTA-STS policy; will retry`);
    return { hosts: permitted.map((host) => ({ host, port: options.mxPort })), requireTls: true, verifyCertificate: true, via: 'mx', policy: 'mta-sts' };
  }
  if (named.length > 0) return { hosts: named.map((host) => ({ host, port: options.mxPort })), requireTls: false, verifyCertificate: false, via: 'mx' };
  // No MX: the domain itself is the mail host if it has an address (the implicit MX).
  const addresses = await options.resolver.addresses(domain).catch(() => {
    throw new RouteFailure(false, '4.4.3', `DNS lookup of ${domain} failed; will retry`);
  });
  if (addresses.length === 0) throw new RouteFailure(true, '5.1.2', `${domain} has no mail server (no MX and no address record)`);
  return { hosts: [{ host: domain, port: options.mxPort }], requireTls: false, verifyCertificate: false, via: 'address' };
}
