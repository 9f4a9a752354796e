import { ok, type CommandContext, type Completion } from '../context.ts';
import type { SortArgs, ThreadArgs } from '../protocol/types.ts';
import { quoted } from '../protocol/writer.ts';
import { formatThreads, sortMessages, threadOrderedSubject, threadReferences } from '../threading.ts';
import { charsetProblem, esearchItems, runSearch } from './search.ts';

export async function sortCommand(ctx: CommandContext, args: SortArgs, byUid: boolean): Promise<Completion> {
  const problem = charsetProblem(args.charset);
  if (problem) return problem;
  const result = await runSearch(ctx, args.search);
  if ('status' in result) return result;
  const view = ctx.session.view!;
  const keys = await ctx.services.store.sortKeys(view.mailbox.id, result.uids);
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
  const problem = charsetProblem(args.charset);
  if (problem) return problem;
  const result = await runSearch(ctx, args.search);
  if ('status' in result) return result;
  const view = ctx.session.view!;
  const keys = await ctx.services.store.sortKeys(view.mailbox.id, result.uids);
  const threads = args.algorithm === 'REFERENCES' ? threadReferences(keys) : threadOrderedSubject(keys);
  await ctx.out.line(`* THREAD ${formatThreads(threads, byUid ? (uid) => uid : (uid) => view.seqOf(uid))}`.trimEnd());
  return ok('Thread completed');
}
