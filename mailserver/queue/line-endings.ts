/**
 * Every line ends in CRLF on the way out. A stray CR or LF inside a message we relay could otherwise be
 * read by the next server as a line end that we did not see, which is how SMTP smuggling works; Mailwerk
 * must never carry such bytes onward for someone else.
 */
export function normalizeLineEndings(raw: Buffer): Buffer {
  let clean = true;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (byte === 0x0d ? raw[i + 1] !== 0x0a : byte === 0x0a && raw[i - 1] !== 0x0d) {
      clean = false;
      break;
    }
  }
  if (clean) return raw;
  return Buffer.from(raw.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}
