import type { SpamReport } from '../../shared/spam.ts';
import { headerValue, type HeaderLine } from './header-block.ts';

/**
 * The mail server records its judgement in two headers, SpamAssassin-style, which any IMAP client can read:
 *
 *   X-Spam-Status: Yes, score=7.4 required=5.0 verdict=suspicious ref=7F3K2
 *   X-Spam-Report: * 3.0 BAYES_99 Content looks like spam the users reported * 2.4 RDNS_NONE No reverse DNS
 *
 * (the report's entries may sit on folded lines; each starts with "*", a score and a rule name).
 */
export function parseSpamReport(headers: HeaderLine[]): SpamReport {
  const status = headerValue(headers, 'X-Spam-Status');
  if (!status) return { scored: false, verdict: null, score: null, threshold: null, reference: null, reasons: [] };
  const number = (key: string) => {
    const match = new RegExp(`\\b${key}=(-?\\d+(?:\\.\\d+)?)`, 'i').exec(status);
    return match ? Number(match[1]) : null;
  };
  const said = /^\s*yes\b/i.test(status);
  const verdictWord = /\bverdict=(ham|suspicious|spam)\b/i.exec(status)?.[1]?.toLowerCase() as SpamReport['verdict'] | undefined;
  const reference = /\bref=([A-Za-z0-9-]{1,40})/.exec(status)?.[1] ?? null;
  return {
    scored: true,
    verdict: verdictWord ?? (said ? 'suspicious' : 'ham'),
    score: number('score'),
    threshold: number('required'),
    reference,
    reasons: parseReasons(headerValue(headers, 'X-Spam-Report') ?? ''),
  };
}

function parseReasons(report: string): SpamReport['reasons'] {
  const reasons: SpamReport['reasons'] = [];
  for (const entry of report.split(/(?:^|\s)\*\s+/).slice(1)) {
    const match = /^(-?\d+(?:\.\d+)?)\s+([A-Z0-9_.-]+)\s*(.*)$/i.exec(entry.trim());
    if (match) reasons.push({ score: Number(match[1]), rule: match[2]!, description: match[3]!.trim() });
    if (reasons.length >= 100) break;
  }
  return reasons;
}
