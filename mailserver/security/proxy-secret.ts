import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The webmail gateway logs users in from the server's own address, so without help every browser would share
 * one IP for brute-force throttling and connection limits, and one attacker could lock all webmail users
 * out. The gateway therefore names the browser's address in IMAP ID, and the server believes it only when the
 * same ID carries this secret, which lives in the data directory (readable by the server's user alone). An
 * address is never trusted for what it is.
 */
export const PROXY_SECRET_FILE = 'gateway-proxy.secret';
export const ID_ORIGINATING_IP = 'x-originating-ip';
export const ID_PROXY_SECRET = 'x-mailwerk-proxy-secret';

export function loadOrCreateProxySecret(dataDir: string): string {
  const path = join(dataDir, PROXY_SECRET_FILE);
  if (existsSync(path)) {
    const secret = readFileSync(path, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(path, secret + '\n', { mode: 0o600 });
  return secret;
}

export function proxySecretMatches(expected: string | null, offered: string | null | undefined): boolean {
  if (!expected || !offered) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(offered);
  return a.length === b.length && timingSafeEqual(a, b);
}
