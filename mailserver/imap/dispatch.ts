import { bad, ok, type CommandContext, type Completion, type SessionStateName } from './context.ts';
import { appendCommand } from './commands/append.ts';
import { authenticateCommand, loginCommand } from './commands/auth.ts';
import { copyCommand } from './commands/copy-move.ts';
import { expungeCommand } from './commands/expunge.ts';
import { fetchCommand } from './commands/fetch.ts';
import { capabilityCommand, enableCommand, idCommand, logoutCommand } from './commands/general.ts';
import { idleCommand } from './commands/idle.ts';
import {
  createCommand,
  deleteCommand,
  listCommand,
  lsubCommand,
  namespaceCommand,
  renameCommand,
  statusCommand,
  subscribeCommand,
} from './commands/mailboxes.ts';
import { getQuotaCommand, getQuotaRootCommand, setQuotaCommand } from './commands/quota.ts';
import { searchCommand } from './commands/search.ts';
import { closeCommand, selectCommand, unselectCommand } from './commands/select.ts';
import { sortCommand, threadCommand } from './commands/sort-thread.ts';
import { storeCommand } from './commands/store-flags.ts';
import type { CommandName, ImapCommand } from './protocol/types.ts';
import { sendUpdates } from './updates.ts';

const ANY: readonly SessionStateName[] = ['not-authenticated', 'authenticated', 'selected'];
const AUTHENTICATED: readonly SessionStateName[] = ['authenticated', 'selected'];
const SELECTED: readonly SessionStateName[] = ['selected'];

/** The states in which each command may run (RFC 9051 §6). */
const ALLOWED: Record<CommandName, readonly SessionStateName[]> = {
  CAPABILITY: ANY,
  NOOP: ANY,
  LOGOUT: ANY,
  ID: ANY,
  STARTTLS: ['not-authenticated'],
  AUTHENTICATE: ['not-authenticated'],
  LOGIN: ['not-authenticated'],
  ENABLE: AUTHENTICATED,
  SELECT: AUTHENTICATED,
  EXAMINE: AUTHENTICATED,
  CREATE: AUTHENTICATED,
  DELETE: AUTHENTICATED,
  RENAME: AUTHENTICATED,
  SUBSCRIBE: AUTHENTICATED,
  UNSUBSCRIBE: AUTHENTICATED,
  LIST: AUTHENTICATED,
  LSUB: AUTHENTICATED,
  NAMESPACE: AUTHENTICATED,
  STATUS: AUTHENTICATED,
  APPEND: AUTHENTICATED,
  IDLE: AUTHENTICATED,
  GETQUOTA: AUTHENTICATED,
  GETQUOTAROOT: AUTHENTICATED,
  SETQUOTA: AUTHENTICATED,
  COMPRESS: AUTHENTICATED,
  CHECK: SELECTED,
  CLOSE: SELECTED,
  UNSELECT: SELECTED,
  EXPUNGE: SELECTED,
  SEARCH: SELECTED,
  FETCH: SELECTED,
  STORE: SELECTED,
  COPY: SELECTED,
  MOVE: SELECTED,
  SORT: SELECTED,
  THREAD: SELECTED,
};

function wrongState(command: ImapCommand, state: SessionStateName): Completion {
  if (state === 'not-authenticated') return bad(`${command.name} needs you to log in first`);
  if (ALLOWED[command.name].includes('not-authenticated')) return bad(`${command.name} is only allowed before login`);
  return bad(`${command.name} needs a selected mailbox; SELECT or EXAMINE one first`);
}

async function run(ctx: CommandContext, command: ImapCommand): Promise<Completion> {
  switch (command.name) {
    case 'CAPABILITY':
      return capabilityCommand(ctx);
    case 'NOOP':
    case 'CHECK':
      return ok(`${command.name === 'NOOP' ? 'Noop' : 'Check'} completed`);
    case 'LOGOUT':
      return logoutCommand(ctx);
    case 'ID':
      return idCommand(ctx, command.args);
    case 'STARTTLS':
      if (ctx.session.secure) return bad('TLS is already active');
      return ok('Begin TLS negotiation now', undefined, () => ctx.connection.startTls());
    case 'AUTHENTICATE':
      return authenticateCommand(ctx, command.args);
    case 'LOGIN':
      return loginCommand(ctx, command.args);
    case 'ENABLE':
      return enableCommand(ctx, command.args);
    case 'SELECT':
    case 'EXAMINE':
      return selectCommand(ctx, command.args, command.name === 'EXAMINE');
    case 'CREATE':
      return createCommand(ctx, command.args);
    case 'DELETE':
      return deleteCommand(ctx, command.args);
    case 'RENAME':
      return renameCommand(ctx, command.args);
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      return subscribeCommand(ctx, command.args, command.name === 'SUBSCRIBE');
    case 'LIST':
      return listCommand(ctx, command.args);
    case 'LSUB':
      return lsubCommand(ctx, command.args);
    case 'NAMESPACE':
      return namespaceCommand(ctx);
    case 'STATUS':
      return statusCommand(ctx, command.args);
    case 'APPEND':
      return appendCommand(ctx, command.args);
    case 'IDLE':
      return idleCommand(ctx);
    case 'GETQUOTA':
      return getQuotaCommand(ctx, command.args);
    case 'GETQUOTAROOT':
      return getQuotaRootCommand(ctx, command.args);
    case 'SETQUOTA':
      return setQuotaCommand();
    case 'COMPRESS':
      if (command.args.mechanism !== 'DEFLATE') return bad(`Unknown compression ${command.args.mechanism}; only DEFLATE exists`);
      return ok('DEFLATE active', undefined, () => ctx.connection.startCompression());
    case 'CLOSE':
      return closeCommand(ctx);
    case 'UNSELECT':
      return unselectCommand(ctx);
    case 'EXPUNGE':
      if (command.uid && command.args.set === null) return bad('UID EXPUNGE needs a UID set');
      return expungeCommand(ctx, command.args);
    case 'SEARCH':
      return searchCommand(ctx, command.args, command.uid);
    case 'FETCH':
      return fetchCommand(ctx, command.args, command.uid);
    case 'STORE':
      return storeCommand(ctx, command.args, command.uid);
    case 'COPY':
    case 'MOVE':
      return copyCommand(ctx, command.args, command.uid, command.name === 'MOVE');
    case 'SORT':
      return sortCommand(ctx, command.args, command.uid);
    case 'THREAD':
      return threadCommand(ctx, command.args, command.uid);
  }
}

/** Commands during which EXPUNGE must not be sent, because the client may be relying on sequence numbers. */
function forbidsExpunge(command: ImapCommand): boolean {
  return !command.uid && ['FETCH', 'STORE', 'SEARCH', 'SORT', 'THREAD'].includes(command.name);
}

/**
 * Run one command: state check, handler, pending mailbox updates, tagged completion.
 * Returns the completion so the connection can run its `after` step and see LOGOUT.
 */
export async function dispatch(ctx: CommandContext, command: ImapCommand): Promise<Completion> {
  const { session, out } = ctx;
  let completion: Completion;
  if (!ALLOWED[command.name].includes(session.state)) {
    completion = wrongState(command, session.state);
  } else {
    // A UID command names messages by UID, which clients learn from other connections too (a webmail that
    // was just told of a delivery); announcing arrivals first lets it see them. Expunges wait until after.
    if (command.uid && session.view && session.state === 'selected') await sendUpdates(ctx, false);
    completion = await run(ctx, command);
  }
  if (session.view && session.state === 'selected' && command.name !== 'LOGOUT') {
    await sendUpdates(ctx, !forbidsExpunge(command));
  }
  const code = completion.code ? `[${completion.code}] ` : '';
  await out.line(`${ctx.tag} ${completion.status} ${code}${completion.text}`);
  await out.flush();
  return completion;
}
