import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/**
 * smtp-server can put RFC 3463 enhanced status codes on its replies, but only codes it derives from the
 * reply code (550 always becomes 5.1.1), never the one that fits: relaying denied is 5.7.1, a full mailbox
 * 5.2.2. Our own replies therefore carry their enhanced code in the text, and this wrapper tells the library
 * not to add a second one to such a reply; its own replies keep the derived code. Installed once, on import.
 */
const HAS_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

const originalSend = SMTPConnection.prototype.send;
SMTPConnection.prototype.send = function send(this: SMTPConnection, code, data, context) {
  const first = Array.isArray(data) ? data[0] : data;
  const ours = typeof first === 'string' && HAS_ENHANCED_CODE.test(first);
  return originalSend.call(this, code, data, ours ? false : context);
};
