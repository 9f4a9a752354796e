import { bad, no, ok, type CommandContext, type Completion } from '../context.ts';
import { translateSearch } from '../search-translate.ts';
import type { SearchArgs, SearchKey, SearchReturnOption } from '../protocol/types.ts';
import { compressUids, quoted } from '../protocol/writer.ts';

const CHARSETS = new Set(['UTF-8', 'US-ASCII']);

export function charsetProblem(charset: string | null): Completion | null {
  if (charset === null || CHARSETS.has(charset.toUpperCase())) return null;
  return no(`Charset ${charset} is not supported; use UTF-8`, 'BADCHARSET (UTF-8 US-ASCII)');
}

/** Run a search program; UIDs ascending. */
export async function runSearch(ctx: CommandContext, criteria: SearchKey): Promise<{ uids: number[]; usesModseq: boolean } | Completion> {
  const translated = translateSearch(ctx.session, criteria);
  if (!translated.ok) return bad(translated.error);
  if (translated.usesModseq) ctx.session.condstore = true;
  const uids = await ctx.services.store.search(ctx.session.view!.mailbox.id, translated.node);
  return { uids, usesModseq: translated.usesModseq };
}

/** Highest MODSEQ among the matches, for the (MODSEQ n) that CONDSTORE adds to search results. */
async function highestModseqOf(ctx: CommandContext, uids: number[]): Promise<number> {
  let max = 0;
  for await (const batch of ctx.services.store.fetch(ctx.session.view!.mailbox.id, uids, {})) {
    for (const row of batch) if (row.modseq > max) max = row.modseq;
  }
  return max;
}

/** ESEARCH result items (RFC 4731) for numbers in the order given; `sorted` says whether ALL may be compressed. */
export function esearchItems(numbers: number[], options: readonly SearchReturnOption[], sorted: boolean): string {
  const wanted = options.length === 0 ? ['ALL'] : options;
  const items: string[] = [];
  if (numbers.length > 0) {
    if (wanted.includes('MIN')) items.push(`MIN ${sorted ? numbers[0] : Math.min(...numbers)}`);
    if (wanted.includes('MAX')) items.push(`MAX ${sorted ? numbers[numbers.length - 1] : Math.max(...numbers)}`);
    if (wanted.includes('ALL')) items.push(`ALL ${sorted ? compressUids(numbers) : numbers.join(',')}`);
  }
  if (wanted.includes('COUNT')) items.push(`COUNT ${numbers.length}`);
  return items.join(' ');
}

export async function searchCommand(ctx: CommandContext, args: SearchArgs, byUid: boolean): Promise<Completion> {
  const problem = charsetProblem(args.charset);
  if (problem) return problem;
  const result = await runSearch(ctx, args.criteria);
  if ('status' in result) return result;
  const { session, out } = ctx;
  const view = session.view!;
  const numbers = byUid ? result.uids : result.uids.map((uid) => view.seqOf(uid)).filter((n) => n > 0);
  const modseq = result.usesModseq && result.uids.length > 0 ? await highestModseqOf(ctx, result.uids) : 0;

  const options = args.returnOptions ?? (session.enabled.has('IMAP4REV2') ? [] : null);
  if (options === null) {
    await out.line(`* SEARCH${numbers.map((n) => ` ${n}`).join('')}${modseq ? ` (MODSEQ ${modseq})` : ''}`);
    return ok('Search completed');
  }
  if (options.includes('SAVE')) session.savedSearch = result.uids;
  const reported = options.filter((o) => o !== 'SAVE');
  // RETURN (SAVE) alone answers nothing but the tagged OK (RFC 5182).
  if (reported.length > 0 || options.length === 0) {
    const items = esearchItems(numbers, reported, true);
    const modseqItem = modseq ? ` MODSEQ ${modseq}` : '';
    await out.line(`* ESEARCH (TAG ${quoted(ctx.tag)})${byUid ? ' UID' : ''}${items ? ` ${items}` : ''}${modseqItem}`);
  }
  return ok('Search completed');
}
