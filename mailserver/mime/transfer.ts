/**
 * Content-Transfer-Encoding decoding (RFC 2045 §6), shared by BINARY[...] and the text extraction.
 * libbase64 and libqp are tolerant: stray characters are skipped, a malformed escape is kept literally.
 */
import libbase64 from 'libbase64';
import libqp from 'libqp';

/** The decoded bytes, or null for an encoding this server does not know (IMAP then answers UNKNOWN-CTE). */
export function decodeTransfer(body: Buffer, encoding: string): Buffer | null {
  switch (encoding.toUpperCase()) {
    case '':
    case '7BIT':
    case '8BIT':
    case 'BINARY':
      return body;
    case 'BASE64':
      return libbase64.decode(body.toString('latin1'));
    case 'QUOTED-PRINTABLE':
      return libqp.decode(body.toString('latin1'));
    default:
      return null;
  }
}
