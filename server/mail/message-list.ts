import type { ImapFlow, MailboxObject, SearchObject } from 'imapflow';
import type { MessagePage, PageQuery } from '../../shared/messages.ts';
import { GatewayError } from '../errors.ts';
import type { PooledImapConnection } from './imap-connection.ts';
import { fetchSummaries } from './summaries.ts';

/**
 * The `limit` highest UIDs at or below `highest` that match `filter` (all messages when absent).
 * UID ranges are searched from the top in growing windows, so a page of a 100,000-message folder costs a
 * search over about one page of UIDs, never a FETCH or SEARCH of the whole folder; sparse UIDs (after
 * many deletions or a filter that matches little) only add a few doubling steps.
 */
export async function newestUids(client: ImapFlow, highest: number, limit: number, filter: SearchObject = {}): Promise<{ uids: number[]; more: boolean }> {
  const found: number[] = [];
  let top = highest;
  let window = Math.max(limit * 2, 64);
  while (top >= 1 && found.length < limit) {
    const bottom = Math.max(1, top - window + 1);
    const uids = (await client.search({ ...filter, uid: `${bottom}:${top}` }, { uid: true })) || [];
    found.push(...uids.sort((a, b) => b - a));
    top = bottom - 1;
    window *= 4;
  }
  const page = found.slice(0, limit);
  return { uids: page, more: found.length > limit || top >= 1 };
}

/** How many messages in the selected folder match: ESEARCH COUNT where offered, so no UID list crosses the wire. */
export async function countMatching(client: ImapFlow, query: SearchObject): Promise<number> {
  if (client.capabilities.has('ESEARCH')) {
    const result = await client.search(query, { uid: true, returnOptions: ['COUNT'] });
    if (result && !Array.isArray(result)) return result.count ?? 0;
  }
  const uids = await client.search(query, { uid: true });
  return Array.isArray(uids) ? uids.length : 0;
}

function selected(client: ImapFlow): MailboxObject {
  const mailbox = client.mailbox;
  if (!mailbox) throw new GatewayError('not_found', 'The folder could not be opened.');
  return mailbox;
}

/**
 * One page of a folder, newest first. Counting unread mail is the costliest step on a large folder (the server
 * looks at every message's flags), so only the first page counts; older pages, which scrolling asks for, repeat
 * the count the first page remembered in `unreadSeen` (live changes reach the client through the push stream).
 */
export async function listPage(imap: PooledImapConnection, folder: string, query: PageQuery, unreadSeen: Map<string, number>, filter?: SearchObject): Promise<MessagePage> {
  return imap.inMailbox(folder, async (client) => {
    const mailbox = selected(client);
    const highest = Math.min((query.before ?? mailbox.uidNext) - 1, mailbox.uidNext - 1);
    const empty = mailbox.exists === 0 || highest < 1;
    const { uids, more } = empty ? { uids: [], more: false } : await newestUids(client, highest, query.limit, filter);
    const messages = await fetchSummaries(client, folder, uids);
    const remembered = query.before !== undefined ? unreadSeen.get(folder) : undefined;
    const unread = remembered ?? (await countMatching(client, { seen: false }));
    unreadSeen.set(folder, unread);
    const last = uids[uids.length - 1];
    return {
      folder,
      messages,
      nextCursor: more && last !== undefined ? last : null,
      total: mailbox.exists,
      unread,
    };
  });
}
