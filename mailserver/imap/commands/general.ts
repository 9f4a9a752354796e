import { authenticatedCapabilities, preAuthCapabilities } from '../capabilities.ts';
import { ok, type CommandContext, type Completion } from '../context.ts';
import type { EnableArgs, IdArgs } from '../protocol/types.ts';
import { nstring, quoted } from '../protocol/writer.ts';
import { plaintextAllowed } from './auth.ts';
import { isIP } from 'node:net';
import { ID_ORIGINATING_IP, ID_PROXY_SECRET, proxySecretMatches } from '../../security/proxy-secret.ts';

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
    adoptProxiedAddress(ctx, client[ID_ORIGINATING_IP], client[ID_PROXY_SECRET]);
  }
  await ctx.out.line(`* ID (${quoted('name')} ${quoted('Mailwerk')} ${quoted('vendor')} ${quoted('Mailwerk')} ${quoted('support-url')} ${nstring(null)})`);
  return ok('ID completed');
}

/**
 * Before login, a trusted proxy (the webmail gateway) may name the address of the browser it acts for; from
 * then on throttling, connection limits and logs use that address. Without the right secret it is ignored.
 */
function adoptProxiedAddress(ctx: CommandContext, address: string | null | undefined, secret: string | null | undefined): void {
  const { session, services } = ctx;
  if (session.state !== 'not-authenticated' || !address || !isIP(address)) return;
  if (!proxySecretMatches(services.proxySecret, secret)) {
    if (secret) ctx.log.warn('client.proxy_refused', { remote: session.remoteAddress });
    return;
  }
  const previous = session.remoteAddress;
  if (address === previous) return;
  if (!services.ipLimiter.acquire(address)) {
    ctx.log.warn('imap.ip-limit', { remote: address, via: previous });
    return;
  }
  services.ipLimiter.release(previous);
  session.remoteAddress = address;
  ctx.log.info('client.proxied', { remote: address, via: previous });
}

export async function logoutCommand(ctx: CommandContext): Promise<Completion> {
  await ctx.out.line('* BYE Mailwerk IMAP server signing off');
  ctx.session.state = 'logout';
  return ok('Logout completed');
}
