import { dkimSign } from 'mailauth';
import type { DkimKey } from './keys.ts';

/** Headers a signature covers; From is required, the rest are what forgers would like to change. */
const SIGNED_HEADERS = ['from', 'sender', 'reply-to', 'subject', 'date', 'message-id', 'to', 'cc', 'mime-version', 'content-type', 'content-transfer-encoding', 'in-reply-to', 'references', 'list-unsubscribe'];

/** The message with a DKIM-Signature (RFC 6376, rsa-sha256, relaxed/relaxed) prepended. */
export async function signMessage(raw: Buffer, key: DkimKey): Promise<Buffer> {
  const result = await dkimSign(raw, {
    canonicalization: 'relaxed/relaxed',
    algorithm: 'rsa-sha256',
    headerList: SIGNED_HEADERS,
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKeyPem }],
  } as Parameters<typeof dkimSign>[1]);
  const errors = (result as { errors?: unknown[] }).errors;
  if (errors && errors.length > 0) throw new Error(`DKIM signing failed: ${String(errors[0])}`);
  const signatures = result.signatures.trim();
  if (!signatures.startsWith('DKIM-Signature:')) throw new Error('DKIM signing produced no signature');
  return Buffer.concat([Buffer.from(`${signatures}\r\n`), raw]);
}
