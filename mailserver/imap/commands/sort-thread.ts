import type { SortKeys } from '../../store/types.ts';
import { ok, type CommandContext, type Completion } from '../context.ts';
import type { SearchKey, SortArgs, ThreadArgs } from '../protocol/types.ts';
import { quoted } from '../protocol/writer.ts';
import { formatThreads, sortMessages, threadOrderedSubject, threadReferences } from '../threading.ts';
import { charsetProblem, esearchItems, runSearch } from './search.ts';

/** The sort keys of the messages a SORT or THREAD search program selects, or the reason it failed. */
async function matchingKeys(ctx: CommandContext, charset: string, search: SearchKey): Promise<SortKeys[] | Completion> {
  const problem = charsetProblem(charset);
  if (problem) return problem;
  const result = await runSearch(ctx, search);
  if ('status' in result) return result;
  return ctx.services.store.sortKeys(ctx.session.view!.mailbox.id, result.uids);
}

export async function sortCommand(ctx: CommandContext, args: SortArgs, byUid: boolean): Promise<Completion> {
  const keys = await matchingKeys(ctx, args.charset, args.search);
  if (!Array.isArray(keys)) return keys;
  const view = ctx.session.view!;
  const ordered = sortMessages(keys, args.criteria);
  const numbers = byUid ? ordered : ordered.map((uid) => view.seqOf(uid)).filter((n) => n > 0);
  if (args.returnOptions) {
    const items = esearchItems(numbers, args.returnOptions, false);
    await ctx.out.line(`* ESEARCH (TAG ${quoted(ctx.tag)})${byUid ? ' UID' : ''}${items ? ` ${items}` : ''}`);
  } else {
    await ctx.out.line(`* SORT${numbers.map((n) => ` ${n}`).join('')}`);
  }
  return ok('Sort completed');
}

export async function threadCommand(ctx: CommandContext, args: ThreadArgs, byUid: boolean): Promise<Completion> {
  const keys = await matchingKeys(ctx, args.charset, args.search);
  if (!Array.isArray(keys)) return keys;
  const view = ctx.session.view!;
  const threads = args.algorithm === 'REFERENCES' ? threadReferences(keys) : threadOrderedSubject(keys);
  await ctx.out.line(`* THREAD ${formatThreads(threads, byUid ? (uid) => uid : (uid) => view.seqOf(uid))}`.trimEnd());
  return ok('Thread completed');
}
