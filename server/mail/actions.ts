import type { CopyResponseObject, ImapFlow } from 'imapflow';
import type { ActionRequest, ActionResult } from '../../shared/messages.ts';
import type { FolderRole } from '../../shared/folders.ts';
import { GatewayError } from '../errors.ts';
import { listFolders } from './folders.ts';
import type { PooledImapConnection } from './imap-connection.ts';

const FLAG_CHANGES = {
  seen: { flag: '\\Seen', add: true },
  unseen: { flag: '\\Seen', add: false },
  flag: { flag: '\\Flagged', add: true },
  unflag: { flag: '\\Flagged', add: false },
} as const;

/** imapflow answers a refused COPY or MOVE with `false`, not an error; say so instead of reporting success. */
function uidMapOf(response: CopyResponseObject | false, destination: string): Record<string, number> {
  if (!response) throw new GatewayError('conflict', `The mail server did not put the messages into "${destination}".`);
  const map: Record<string, number> = {};
  if (response.uidMap) for (const [from, to] of response.uidMap) map[String(from)] = to;
  return map;
}

async function requireFolder(client: ImapFlow, path: string): Promise<string> {
  if (!(await listFolders(client)).some((f) => f.path === path && f.selectable)) throw new GatewayError('not_found', `No folder named "${path}".`, { field: 'destination' });
  return path;
}

async function roles(client: ImapFlow): Promise<Map<FolderRole, string>> {
  const result = new Map<FolderRole, string>();
  for (const folder of await listFolders(client)) if (folder.role && !result.has(folder.role)) result.set(folder.role, folder.path);
  return result;
}

function required(path: string | undefined, role: FolderRole): string {
  if (!path) throw new GatewayError('not_found', `This mailbox has no ${role} folder.`);
  return path;
}

/** Where an action that moves mail sends it from `folder`, or null when it stays (flags, expunge). */
async function destinationFor(client: ImapFlow, folder: string, request: ActionRequest): Promise<{ path: string | null; expunge: boolean }> {
  if (request.action === 'move' || request.action === 'copy') return { path: await requireFolder(client, request.destination!), expunge: false };
  if (request.action === 'spam') return { path: required((await roles(client)).get('junk'), 'junk'), expunge: false };
  if (request.action === 'not-spam') return { path: required((await roles(client)).get('inbox'), 'inbox'), expunge: false };
  if (request.action === 'delete') {
    const trash = (await roles(client)).get('trash');
    // Deleting from Trash (or without a Trash) removes for good, as every mail client does.
    if (!trash || trash === folder) return { path: null, expunge: true };
    return { path: trash, expunge: false };
  }
  return { path: null, expunge: false };
}

/**
 * Apply one action to a selection. Spam and not-spam are plain IMAP moves into and out of Junk, the same a
 * desktop client would make, so the mail server learns from them whichever client the user uses.
 */
export async function applyAction(imap: PooledImapConnection, folder: string, request: ActionRequest): Promise<ActionResult> {
  const client = await imap.get();
  const target = await destinationFor(client, folder, request);
  if (target.path === folder && request.action !== 'copy') throw new GatewayError('invalid_request', 'The messages are already in that folder.', { field: 'destination' });
  return imap.inMailbox(folder, async (selected) => {
    const range = request.uids.join(',');
    const result: ActionResult = { action: request.action, destination: target.path, uidMap: {}, expunged: false };
    if (request.action in FLAG_CHANGES) {
      const change = FLAG_CHANGES[request.action as keyof typeof FLAG_CHANGES];
      if (change.add) await selected.messageFlagsAdd(range, [change.flag], { uid: true });
      else await selected.messageFlagsRemove(range, [change.flag], { uid: true });
    } else if (target.expunge) {
      await selected.messageDelete(range, { uid: true });
      result.expunged = true;
    } else if (request.action === 'copy') {
      result.uidMap = uidMapOf(await selected.messageCopy(range, target.path!, { uid: true }), target.path!);
    } else {
      result.uidMap = uidMapOf(await selected.messageMove(range, target.path!, { uid: true }), target.path!);
    }
    return result;
  });
}
