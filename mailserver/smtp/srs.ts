import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const DAY_MS = 86_400_000;
/** Bounces to a rewritten address are honoured this long (the usual SRS validity). */
const MAX_AGE_DAYS = 21;

/**
 * Sender Rewriting Scheme (SRS0, as libsrs2 defines it). When an alias forwards mail elsewhere, the
 * envelope sender becomes an address of ours, so the next server's SPF check sees our domain; a bounce to
 * that address is verified (hash and age) and passed back to the original sender. Without the hash
 * anyone could use us to bounce mail to arbitrary addresses.
 */
export class Srs {
  constructor(private readonly secret: Buffer) {}

  /** Load the secret from DATA/srs.key, creating it on first use. */
  static forDataDir(dataDir: string): Srs {
    const path = join(dataDir, 'srs.key');
    if (!existsSync(path)) {
      try {
        writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    return new Srs(Buffer.from(readFileSync(path, 'utf8').trim(), 'hex'));
  }

  /** `local@origin` forwarded by `forwarderDomain` → `SRS0=HHHH=TT=origin=local@forwarderDomain`. */
  forward(sender: string, forwarderDomain: string, now = Date.now()): string {
    if (sender === '') return ''; // bounces keep the null sender
    const at = sender.lastIndexOf('@');
    if (at <= 0) return sender;
    const local = sender.slice(0, at);
    const domain = sender.slice(at + 1);
    if (domain.toLowerCase() === forwarderDomain.toLowerCase()) return sender; // already ours
    const stamp = this.timestamp(now);
    return `SRS0=${this.hash(stamp, domain, local)}=${stamp}=${domain}=${local}@${forwarderDomain}`;
  }

  /** The original sender behind an SRS0 local part, or null when it is not one, forged or expired. */
  reverse(localPart: string, now = Date.now()): string | null {
    const match = /^SRS0[=+-]([^=]+)=([^=]{2})=([^=]+)=(.+)$/i.exec(localPart);
    if (!match) return null;
    const [, hash, stamp, domain, local] = match as unknown as [string, string, string, string, string];
    const expected = Buffer.from(this.hash(stamp.toUpperCase(), domain, local).toLowerCase());
    const given = Buffer.from(hash.toLowerCase());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    if (this.ageDays(stamp.toUpperCase(), now) > MAX_AGE_DAYS) return null;
    return `${local}@${domain}`;
  }

  static isSrs(localPart: string): boolean {
    return /^SRS[01][=+-]/i.test(localPart);
  }

  private hash(stamp: string, domain: string, local: string): string {
    const mac = createHmac('sha1', this.secret).update(`${stamp}${domain}${local}`.toLowerCase()).digest('base64');
    return mac.slice(0, 4).replace(/\+/g, '_').replace(/\//g, '.');
  }

  /** Days since the epoch, mod 1024, in two base32 characters. */
  private timestamp(now: number): string {
    const days = Math.floor(now / DAY_MS) % 1024;
    return BASE32[days >> 5]! + BASE32[days & 31]!;
  }

  private ageDays(stamp: string, now: number): number {
    const high = BASE32.indexOf(stamp[0]!);
    const low = BASE32.indexOf(stamp[1]!);
    if (high < 0 || low < 0) return Infinity;
    const then = (high << 5) | low;
    return (Math.floor(now / DAY_MS) - then + 1024) % 1024;
  }
}
