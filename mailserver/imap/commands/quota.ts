import { no, ok, type CommandContext, type Completion } from '../context.ts';
import { mailboxName } from '../format.ts';
import type { MailboxArgs, QuotaRootArgs } from '../protocol/types.ts';

/** One quota root per account, named "" (RFC 9208); STORAGE is in KiB. */
async function quotaLine(ctx: CommandContext): Promise<string> {
  const usage = await ctx.services.store.quota(ctx.session.account!.id);
  const kib = (n: number) => Math.ceil(n / 1024);
  return `* QUOTA "" (STORAGE ${kib(usage.usedBytes)} ${kib(usage.limitBytes)})`;
}

export async function getQuotaCommand(ctx: CommandContext, args: QuotaRootArgs): Promise<Completion> {
  if (args.root !== '') return no('No such quota root; this account has the root ""', 'NONEXISTENT');
  await ctx.out.line(await quotaLine(ctx));
  return ok('Getquota completed');
}

export async function getQuotaRootCommand(ctx: CommandContext, args: MailboxArgs): Promise<Completion> {
  const mailbox = await ctx.services.store.getMailbox(ctx.session.account!.id, args.mailbox);
  if (!mailbox) return no('Mailbox does not exist', 'NONEXISTENT');
  await ctx.out.line(`* QUOTAROOT ${mailboxName(mailbox.name, ctx.session)} ""`);
  await ctx.out.line(await quotaLine(ctx));
  return ok('Getquotaroot completed');
}

export async function setQuotaCommand(): Promise<Completion> {
  return no('Quotas are set by the administrator (mailwerk user add --quota, or the Control Center)', 'NOPERM');
}
