import type { AttemptOutcome } from './types.ts';

/** The RFC 3463 code in a reply ("550 5.1.1 No such user" → "5.1.1"), or one derived from the basic code. */
export function statusOf(reply: string, fallbackClass: 4 | 5): string {
  const match = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply.trim());
  if (match) return match[1]!;
  const basic = /^([45])\d\d/.exec(reply.trim());
  return `${basic ? basic[1] : fallbackClass}.0.0`;
}

/** One line, printable, bounded: a remote reply is untrusted text that ends up in logs and bounces. */
export function cleanReply(reply: string): string {
  return reply.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim().slice(0, 500);
}

/** Turn a remote SMTP reply into this recipient's fate. */
export function outcomeOfReply(reply: string, remote: string): AttemptOutcome {
  const text = cleanReply(reply);
  if (/^2/.test(text)) return { kind: 'delivered', reply: text, remote };
  if (/^5/.test(text)) return { kind: 'permanent', reply: text, status: statusOf(text, 5), remote };
  return { kind: 'temporary', reply: text, status: statusOf(text, 4), remote };
}
