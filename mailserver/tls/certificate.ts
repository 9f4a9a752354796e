import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Where the certificate lives, so clients (the gateway, tests) can trust it explicitly. */
  certPath: string;
  generated: boolean;
}

export class TlsError extends Error {}

function readPem(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new TlsError(`${setting} cannot be read (${path}): ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/**
 * Use the configured certificate, or the self-signed one in the data dir, generating it on first start
 * for the hostname plus loopback names so local clients can verify it.
 */
export async function loadOrCreateCertificate(opts: {
  dataDir: string;
  hostname: string;
  certPath?: string;
  keyPath?: string;
}): Promise<TlsMaterial> {
  if (opts.certPath || opts.keyPath) {
    if (!opts.certPath || !opts.keyPath) throw new TlsError('MAILWERK_TLS_CERT and MAILWERK_TLS_KEY must be set together');
    const cert = readPem(opts.certPath, 'MAILWERK_TLS_CERT');
    const key = readPem(opts.keyPath, 'MAILWERK_TLS_KEY');
    try {
      new X509Certificate(cert);
    } catch {
      throw new TlsError(`MAILWERK_TLS_CERT (${opts.certPath}) is not a PEM certificate`);
    }
    return { cert, key, certPath: opts.certPath, generated: false };
  }
  const dir = join(opts.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath, generated: false };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notAfter = new Date(Date.now() + 825 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: opts.hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2 as const, value: opts.hostname },
          ...(opts.hostname === 'localhost' ? [] : [{ type: 2 as const, value: 'localhost' }]),
          { type: 7 as const, ip: '127.0.0.1' },
          { type: 7 as const, ip: '::1' },
        ],
      },
    ],
  });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, certPath, generated: true };
}
