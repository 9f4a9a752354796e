import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A domain's signing key; `selector` names where its public half is published in DNS. */
export interface DkimKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
}

/** The record a domain owner publishes so receivers can check the signature. */
export interface DkimDnsRecord {
  name: string;
  type: 'TXT';
  value: string;
}

const DOMAIN_PATTERN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** Selectors name the month the key was made, so a rotation gets a new selector without a clash. */
function selectorFor(date: Date): string {
  return `mw${date.getUTCFullYear()}${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * DKIM keys per domain, kept as PEM files in DATA/dkim/DOMAIN/SELECTOR.pem (mode 0600). The newest
 * selector signs; older ones stay so their DNS records can be withdrawn after mail in flight is checked.
 */
export class DkimKeys {
  private readonly dir: string;
  private readonly cache = new Map<string, DkimKey>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'dkim');
  }

  /** The signing key for a domain, made now if the domain has none yet. */
  ensure(domain: string, now = new Date()): DkimKey {
    return this.current(domain) ?? this.generate(domain, now);
  }

  current(domain: string): DkimKey | null {
    const name = this.checked(domain);
    const cached = this.cache.get(name);
    if (cached) return cached;
    const domainDir = join(this.dir, name);
    if (!existsSync(domainDir)) return null;
    const selectors = readdirSync(domainDir)
      .filter((f) => f.endsWith('.pem'))
      .map((f) => f.slice(0, -4))
      .sort();
    const selector = selectors.at(-1);
    if (!selector) return null;
    const key = { domain: name, selector, privateKeyPem: readFileSync(join(domainDir, `${selector}.pem`), 'utf8') };
    this.cache.set(name, key);
    return key;
  }

  dnsRecord(key: DkimKey): DkimDnsRecord {
    const publicDer = createPublicKey(key.privateKeyPem).export({ type: 'spki', format: 'der' });
    return { name: `${key.selector}._domainkey.${key.domain}`, type: 'TXT', value: `v=DKIM1; k=rsa; p=${publicDer.toString('base64')}` };
  }

  private generate(domain: string, now: Date): DkimKey {
    const name = this.checked(domain);
    const selector = selectorFor(now);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const domainDir = join(this.dir, name);
    mkdirSync(domainDir, { recursive: true, mode: 0o700 });
    // 'wx': two processes racing to create the key keep the first one instead of overwriting it.
    try {
      writeFileSync(join(domainDir, `${selector}.pem`), privateKeyPem, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      this.cache.delete(name);
      return this.current(name)!;
    }
    const key = { domain: name, selector, privateKeyPem };
    this.cache.set(name, key);
    return key;
  }

  /** Domain names become path components: only plain DNS names may. */
  private checked(domain: string): string {
    const name = domain.toLowerCase();
    if (!DOMAIN_PATTERN.test(name) || name.includes('..')) throw new Error(`not a domain name: ${domain}`);
    return name;
  }
}
