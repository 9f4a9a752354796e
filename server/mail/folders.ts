import type { ImapFlow, ListResponse } from 'imapflow';
import type { Folder, FolderRole } from '../../shared/folders.ts';
import { GatewayError } from '../errors.ts';

const ROLE_BY_SPECIAL_USE: Record<string, FolderRole> = {
  '\\Inbox': 'inbox',
  '\\Sent': 'sent',
  '\\Drafts': 'drafts',
  '\\Trash': 'trash',
  '\\Junk': 'junk',
  '\\Archive': 'archive',
  '\\All': 'all',
  '\\Flagged': 'flagged',
};

/** Inbox first, then the special folders in the order mail clients show them, then the rest by path. */
const ROLE_ORDER: FolderRole[] = ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash', 'flagged', 'all'];

function toFolder(entry: ListResponse): Folder {
  const role = entry.specialUse ? (ROLE_BY_SPECIAL_USE[entry.specialUse] ?? null) : null;
  return {
    path: entry.path,
    name: entry.name,
    delimiter: entry.delimiter || null,
    role: entry.path.toUpperCase() === 'INBOX' ? 'inbox' : role,
    parent: entry.parentPath || null,
    total: entry.status?.messages ?? 0,
    unread: entry.status?.unseen ?? 0,
    selectable: !entry.flags.has('\\Noselect') && !entry.flags.has('\\NonExistent'),
  };
}

function rank(folder: Folder): number {
  return folder.role ? ROLE_ORDER.indexOf(folder.role) : ROLE_ORDER.length;
}

export async function listFolders(client: ImapFlow): Promise<Folder[]> {
  const entries = await client.list({ statusQuery: { messages: true, unseen: true } });
  return entries
    .map(toFolder)
    .sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

/** The folder with a special-use role, e.g. where "mark as spam" moves to. */
export async function folderWithRole(client: ImapFlow, role: FolderRole): Promise<string> {
  const entries = await client.list();
  const found = entries.map(toFolder).find((f) => f.role === role);
  if (!found) throw new GatewayError('not_found', `This mailbox has no ${role} folder.`);
  return found.path;
}

export async function folderCounts(client: ImapFlow, path: string): Promise<{ total: number; unread: number }> {
  const status = await client.status(path, { messages: true, unseen: true });
  if (!status) throw new GatewayError('not_found', `No folder named "${path}".`);
  return { total: status.messages ?? 0, unread: status.unseen ?? 0 };
}
