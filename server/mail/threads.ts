import type { MessageSummary, Thread } from '../../shared/messages.ts';
import { folderWithRole } from './folders.ts';
import type { PooledImapConnection } from './imap-connection.ts';
import { fetchSummaries } from './summaries.ts';

const MAX_THREAD_MESSAGES = 500;

/**
 * A conversation: the messages sharing the server's THREADID (RFC 8474) in the folder being read, in Sent
 * (the user's own replies) and in INBOX, oldest first. imapflow has no THREAD command; the id the server
 * already assigns is enough and costs one SEARCH per folder.
 */
export async function readThread(imap: PooledImapConnection, threadId: string, folder: string): Promise<Thread> {
  const client = await imap.get();
  const sent = await folderWithRole(client, 'sent').catch(() => null);
  const folders = [...new Set([folder, 'INBOX', ...(sent ? [sent] : [])])];
  const messages: MessageSummary[] = [];
  for (const path of folders) {
    const found = await imap.inMailbox(path, async (selected) => {
      const uids = ((await selected.search({ threadId }, { uid: true })) || []).slice(-MAX_THREAD_MESSAGES);
      return fetchSummaries(selected, path, uids);
    });
    messages.push(...found);
  }
  messages.sort((a, b) => a.date.localeCompare(b.date) || a.uid - b.uid);
  return { threadId, messages: messages.slice(-MAX_THREAD_MESSAGES) };
}
