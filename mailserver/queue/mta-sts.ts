import { getPolicy, validateMx } from 'mailauth/lib/mta-sts.js';
import type { MTASTSPolicy } from 'mailauth';
import type { DnsResolver } from '../dns/resolver.ts';

/** How long a domain's TXT record is trusted before it is asked again for a changed policy id. */
const RECHECK_MS = 60 * 60_000;

interface CachedPolicy {
  policy: MTASTSPolicy;
  checkedAt: number;
}

/**
 * MTA-STS (RFC 8461) through mailauth: a domain that publishes an "enforce" policy gets mail only over
 * TLS with a certificate valid for an MX host its policy names. Policies are cached for their max_age, so
 * an attacker who later blocks the policy fetch cannot downgrade delivery (the cache lives as long as the
 * process; a restart fetches again).
 */
export class MtaStsPolicies {
  private readonly cache = new Map<string, CachedPolicy>();

  constructor(private readonly resolver: DnsResolver) {}

  async policyFor(domain: string, now = Date.now()): Promise<MTASTSPolicy> {
    const key = domain.toLowerCase();
    const cached = this.cache.get(key);
    const stillValid = cached && cached.policy.expires && Date.parse(cached.policy.expires) > now;
    if (cached && stillValid && now - cached.checkedAt < RECHECK_MS) return cached.policy;
    const result = await getPolicy(key, stillValid ? cached.policy : undefined, { resolver: this.resolver.resolve as never });
    // A failed fetch keeps a still-valid policy (mailauth returns it with the error attached).
    this.cache.set(key, { policy: result.policy, checkedAt: now });
    return result.policy;
  }

  /** MX hosts the policy allows (all of them unless it is enforced). */
  static permitted(hosts: string[], policy: MTASTSPolicy): string[] {
    if (policy.mode !== 'enforce') return hosts;
    return hosts.filter((host) => validateMx(host, policy).valid);
  }
}
