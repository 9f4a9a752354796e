import { normalizeMailboxName } from '../../store/names.ts';
import { SPECIAL_USES, type Mailbox, type SpecialUse } from '../../store/types.ts';
import { no, ok, type CommandContext, type Completion } from '../context.ts';
import { mailboxName } from '../format.ts';
import { compilePattern, hasChildren, withImpliedParents } from '../list-match.ts';
import type { CreateArgs, ListArgs, LsubArgs, MailboxArgs, RenameArgs, StatusArgs, StatusItem } from '../protocol/types.ts';
import { guarded } from './errors.ts';

function accountId(ctx: CommandContext): string {
  return ctx.session.account!.id;
}

export async function createCommand(ctx: CommandContext, args: CreateArgs): Promise<Completion> {
  const uses = args.specialUse;
  if (uses.length > 1) return no('Only one special use per mailbox is supported', 'USEATTR');
  const use = uses[0];
  if (use !== undefined && !SPECIAL_USES.includes(use as SpecialUse)) return no(`${use} is not a special use this server knows`, 'USEATTR');
  const check = normalizeMailboxName(args.mailbox);
  if (!check.ok) return no(check.reason, 'CANNOT');
  return guarded(async () => {
    await ctx.services.store.createMailbox(accountId(ctx), check.name, (use as SpecialUse | undefined) ?? null);
    return ok('Mailbox created');
  });
}

export async function deleteCommand(ctx: CommandContext, args: MailboxArgs): Promise<Completion> {
  return guarded(async () => {
    const doomed = await ctx.services.store.getMailbox(accountId(ctx), args.mailbox);
    await ctx.services.store.deleteMailbox(accountId(ctx), args.mailbox);
    if (doomed && ctx.session.view?.mailbox.id === doomed.id) {
      // Deleting the selected mailbox deselects it: there is nothing left to look at.
      ctx.session.view = null;
      ctx.session.state = 'authenticated';
    }
    return ok('Mailbox deleted');
  });
}

export async function renameCommand(ctx: CommandContext, args: RenameArgs): Promise<Completion> {
  return guarded(async () => {
    await ctx.services.store.renameMailbox(accountId(ctx), args.from, args.to);
    return ok('Mailbox renamed');
  });
}

export async function subscribeCommand(ctx: CommandContext, args: MailboxArgs, subscribe: boolean): Promise<Completion> {
  return guarded(async () => {
    await ctx.services.store.setSubscribed(accountId(ctx), args.mailbox, subscribe);
    return ok(subscribe ? 'Subscribed' : 'Unsubscribed');
  });
}

export async function namespaceCommand(ctx: CommandContext): Promise<Completion> {
  await ctx.out.line('* NAMESPACE (("" "/")) NIL NIL');
  return ok('Namespace completed');
}

/** One STATUS response line's items. */
async function statusItems(ctx: CommandContext, mailbox: Mailbox, items: readonly StatusItem[]): Promise<string> {
  const { store, config } = ctx.services;
  const needsCounts = items.some((i) => ['MESSAGES', 'UNSEEN', 'DELETED', 'SIZE', 'RECENT'].includes(i));
  const counts = needsCounts ? await store.counts(mailbox.id) : null;
  const values: string[] = [];
  for (const item of items) {
    const value = {
      MESSAGES: counts?.messages,
      UIDNEXT: mailbox.uidNext,
      UIDVALIDITY: mailbox.uidValidity,
      UNSEEN: counts?.unseen,
      DELETED: counts?.deleted,
      SIZE: counts?.size,
      RECENT: counts?.recent,
      HIGHESTMODSEQ: mailbox.highestModseq,
      APPENDLIMIT: config.imap.maxLiteralBytes,
      MAILBOXID: `(${mailbox.objectId})`,
    }[item];
    values.push(`${item} ${value}`);
  }
  return values.join(' ');
}

export async function statusCommand(ctx: CommandContext, args: StatusArgs): Promise<Completion> {
  const mailbox = await ctx.services.store.getMailbox(accountId(ctx), args.mailbox);
  if (!mailbox) return no('Mailbox does not exist', 'NONEXISTENT');
  if (args.items.includes('HIGHESTMODSEQ')) ctx.session.condstore = true;
  await ctx.out.line(`* STATUS ${mailboxName(mailbox.name, ctx.session)} (${await statusItems(ctx, mailbox, args.items)})`);
  return ok('Status completed');
}

interface ListEntry {
  name: string;
  attributes: string[];
  childInfo: boolean;
  mailbox: Mailbox | null;
}

function matchesAny(name: string, reference: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => compilePattern(reference, p).test(name));
}

/** LIST with LIST-EXTENDED selection and return options, SPECIAL-USE and LIST-STATUS. */
export async function listCommand(ctx: CommandContext, args: ListArgs): Promise<Completion> {
  const { session, out } = ctx;
  if (args.patterns.length === 1 && args.patterns[0] === '' && !args.extended) {
    await out.line('* LIST (\\Noselect) "/" ""');
    return ok('List completed');
  }
  const store = ctx.services.store;
  const mailboxes = await store.listMailboxes(accountId(ctx));
  const byName = new Map(mailboxes.map((m) => [m.name, m]));
  const subscribed = new Set(await store.subscriptions(accountId(ctx)));
  const selectSubscribed = args.select.includes('SUBSCRIBED');
  const selectSpecial = args.select.includes('SPECIAL-USE');
  const recursive = args.select.includes('RECURSIVEMATCH');
  const showSubscribed = selectSubscribed || args.returnOptions.subscribed;
  const showSpecial = true; // SPECIAL-USE attributes are cheap and useful to every client.

  const universe = withImpliedParents([...byName.keys(), ...(selectSubscribed ? subscribed : [])]);
  const entries: ListEntry[] = [];
  for (const [name] of universe) {
    const mailbox = byName.get(name) ?? null;
    const matches = matchesAny(name, args.reference, args.patterns);
    let childInfo = false;
    if (selectSubscribed && !subscribed.has(name)) {
      if (!(recursive && matches && [...subscribed].some((s) => s.startsWith(name + '/')))) continue;
      childInfo = true;
    }
    if (!matches) continue;
    if (selectSpecial && !mailbox?.specialUse) continue;
    const attributes: string[] = [];
    if (!mailbox) attributes.push('\\NonExistent', '\\Noselect');
    attributes.push(hasChildren(name, byName.keys()) ? '\\HasChildren' : '\\HasNoChildren');
    if (showSubscribed && subscribed.has(name)) attributes.push('\\Subscribed');
    if (showSpecial && mailbox?.specialUse) attributes.push(mailbox.specialUse);
    entries.push({ name, attributes, childInfo, mailbox });
  }
  entries.sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const extra = entry.childInfo ? ' ("CHILDINFO" ("SUBSCRIBED"))' : '';
    await out.line(`* LIST (${entry.attributes.join(' ')}) "/" ${mailboxName(entry.name, session)}${extra}`);
    if (args.returnOptions.status && entry.mailbox) {
      await out.line(`* STATUS ${mailboxName(entry.name, session)} (${await statusItems(ctx, entry.mailbox, args.returnOptions.status)})`);
    }
  }
  return ok('List completed');
}

export async function lsubCommand(ctx: CommandContext, args: LsubArgs): Promise<Completion> {
  const store = ctx.services.store;
  const existing = new Set((await store.listMailboxes(accountId(ctx))).map((m) => m.name));
  const pattern = compilePattern(args.reference, args.pattern);
  for (const name of await store.subscriptions(accountId(ctx))) {
    if (!pattern.test(name)) continue;
    const attributes = existing.has(name) ? '' : '\\Noselect';
    await ctx.out.line(`* LSUB (${attributes}) "/" ${mailboxName(name, ctx.session)}`);
  }
  return ok('Lsub completed');
}
