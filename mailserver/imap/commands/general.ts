import { authenticatedCapabilities, preAuthCapabilities } from '../capabilities.ts';
import { ok, type CommandContext, type Completion } from '../context.ts';
import type { EnableArgs, IdArgs } from '../protocol/types.ts';
import { nstring, quoted } from '../protocol/writer.ts';
import { plaintextAllowed } from './auth.ts';

export function capabilityList(ctx: CommandContext): string[] {
  return ctx.session.account
    ? authenticatedCapabilities(ctx.services.config.imap.maxLiteralBytes)
    : preAuthCapabilities(ctx.session, plaintextAllowed(ctx));
}

export async function capabilityCommand(ctx: CommandContext): Promise<Completion> {
  await ctx.out.line(`* CAPABILITY ${capabilityList(ctx).join(' ')}`);
  return ok('Capability completed');
}

const ENABLEABLE = new Set(['CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT', 'IMAP4REV2']);

export async function enableCommand(ctx: CommandContext, args: EnableArgs): Promise<Completion> {
  const { session } = ctx;
  const newly: string[] = [];
  for (const cap of args.capabilities) {
    if (!ENABLEABLE.has(cap) || session.enabled.has(cap)) continue;
    session.enabled.add(cap);
    newly.push(cap);
    if (cap === 'QRESYNC' || cap === 'CONDSTORE') session.condstore = true;
    if (cap === 'IMAP4REV2' && session.view) session.view.reportRecent = false;
  }
  await ctx.out.line(`* ENABLED${newly.map((c) => ` ${c}`).join('')}`);
  return ok('Enable completed');
}

export async function idCommand(ctx: CommandContext, args: IdArgs): Promise<Completion> {
  if (args.params) {
    const client = Object.fromEntries(args.params.map((p) => [p.field.toLowerCase(), p.value]));
    ctx.log.info('client.id', { name: client.name ?? null, version: client.version ?? null });
  }
  await ctx.out.line(`* ID (${quoted('name')} ${quoted('Mailwerk')} ${quoted('vendor')} ${quoted('Mailwerk')} ${quoted('support-url')} ${nstring(null)})`);
  return ok('ID completed');
}

export async function logoutCommand(ctx: CommandContext): Promise<Completion> {
  await ctx.out.line('* BYE Mailwerk IMAP server signing off');
  ctx.session.state = 'logout';
  return ok('Logout completed');
}
