import { setTimeout as sleep } from 'node:timers/promises';
import { isLoopback } from '../../security/connection-limits.ts';
import { authenticatedCapabilities } from '../capabilities.ts';
import { bad, no, ok, type CommandContext, type Completion } from '../context.ts';
import type { AuthenticateArgs, LoginArgs } from '../protocol/types.ts';

export function plaintextAllowed(ctx: CommandContext): boolean {
  const { session, services } = ctx;
  return session.secure || (services.config.allowPlaintextLoopback && isLoopback(session.remoteAddress));
}

function capabilityCode(ctx: CommandContext): string {
  return `CAPABILITY ${authenticatedCapabilities(ctx.services.config.imap.maxLiteralBytes).join(' ')}`;
}

/** Check credentials with throttling, then move the session to authenticated. */
async function logIn(ctx: CommandContext, login: string, password: string): Promise<Completion> {
  const { services, session } = ctx;
  if (services.throttle.isLocked(session.remoteAddress, login)) {
    await sleep(services.throttle.fail(session.remoteAddress, login));
    ctx.log.warn('auth.locked', { login });
    return no('Too many failed logins from your address or for this account; try again in 15 minutes', 'AUTHENTICATIONFAILED');
  }
  const account = await services.directory.authenticate(login, password);
  if (!account) {
    const delay = services.throttle.fail(session.remoteAddress, login);
    ctx.log.info('auth.failed', { login });
    await sleep(delay);
    return no('Authentication failed: wrong user name or password', 'AUTHENTICATIONFAILED');
  }
  if (!services.accountLimiter.acquire(account.id)) {
    ctx.log.warn('auth.limit', { account: account.address });
    return no(`Too many connections for ${account.address}; close some and try again`, 'LIMIT');
  }
  services.throttle.succeed(login);
  await services.store.ensureAccount(account.id, account.quotaBytes);
  session.account = account;
  session.state = 'authenticated';
  ctx.log.info('auth.ok', { account: account.address });
  return ok('Logged in', capabilityCode(ctx));
}

export async function loginCommand(ctx: CommandContext, args: LoginArgs): Promise<Completion> {
  if (!plaintextAllowed(ctx)) return no('Log in after STARTTLS, or use the implicit-TLS port', 'PRIVACYREQUIRED');
  return logIn(ctx, args.username, args.password);
}

function decodeBase64(text: string): Buffer | null {
  if (text === '=') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  return Buffer.from(text, 'base64');
}

/** Ask for one more SASL response; null when the client cancelled with "*" or hung up. */
async function saslStep(ctx: CommandContext, challenge: string): Promise<Buffer | 'cancel' | 'invalid'> {
  await ctx.connection.continuation(challenge);
  const line = await ctx.connection.readLine();
  if (line === null || line === '*') return 'cancel';
  return decodeBase64(line) ?? 'invalid';
}

export async function authenticateCommand(ctx: CommandContext, args: AuthenticateArgs): Promise<Completion> {
  if (!plaintextAllowed(ctx)) return no('Authenticate after STARTTLS, or use the implicit-TLS port', 'PRIVACYREQUIRED');
  if (args.mechanism === 'PLAIN') {
    const response = args.initialResponse !== null ? decodeBase64(args.initialResponse) ?? 'invalid' : await saslStep(ctx, '');
    if (response === 'cancel') return bad('Authentication cancelled');
    if (response === 'invalid') return bad('Invalid base64 in SASL response');
    // authzid NUL authcid NUL password; we do not let one user act as another, so authzid must be empty or the same.
    const [authzid, authcid, password, extra] = response.toString('utf8').split('\0');
    if (authcid === undefined || password === undefined || extra !== undefined) return bad('Malformed PLAIN response');
    if (authzid && authzid.toLowerCase() !== authcid.toLowerCase()) return no('Acting as another user is not allowed', 'AUTHORIZATIONFAILED');
    return logIn(ctx, authcid, password);
  }
  if (args.mechanism === 'LOGIN') {
    const user =
      args.initialResponse !== null ? decodeBase64(args.initialResponse) ?? 'invalid' : await saslStep(ctx, Buffer.from('Username:').toString('base64'));
    if (user === 'cancel') return bad('Authentication cancelled');
    if (user === 'invalid') return bad('Invalid base64 in SASL response');
    const password = await saslStep(ctx, Buffer.from('Password:').toString('base64'));
    if (password === 'cancel') return bad('Authentication cancelled');
    if (password === 'invalid') return bad('Invalid base64 in SASL response');
    return logIn(ctx, user.toString('utf8'), password.toString('utf8'));
  }
  return no(`Unsupported authentication mechanism ${args.mechanism}; use PLAIN or LOGIN`, 'CANNOT');
}
