import type { FetchMessageObject, ImapFlow, MessageAddressObject } from 'imapflow';
import type { Address } from '../../shared/addresses.ts';
import type { MessageSummary } from '../../shared/messages.ts';
import { toMessageFlags } from './flags.ts';
import { previewFetchBytes, previewText } from './part-text.ts';
import { hasAttachments, previewPart, type LeafPart } from './structure.ts';

export const SUMMARY_QUERY = {
  uid: true,
  flags: true,
  envelope: true,
  size: true,
  bodyStructure: true,
  internalDate: true,
  threadId: true,
} as const;

export function toAddresses(list: MessageAddressObject[] | undefined): Address[] {
  return (list ?? []).filter((a) => a.address || a.name).map((a) => (a.name ? { name: a.name, address: a.address ?? '' } : { address: a.address ?? '' }));
}

function isoDate(value: Date | string | undefined, fallback: Date | string | undefined): string {
  for (const candidate of [value, fallback]) {
    if (!candidate) continue;
    const date = candidate instanceof Date ? candidate : new Date(candidate);
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  return new Date(0).toISOString();
}

export function toSummary(folder: string, message: FetchMessageObject, preview: string): MessageSummary {
  const envelope = message.envelope ?? {};
  return {
    folder,
    uid: message.uid,
    emailId: message.emailId ?? null,
    threadId: message.threadId ?? null,
    messageId: envelope.messageId ?? null,
    flags: toMessageFlags(message.flags),
    from: toAddresses(envelope.from),
    to: toAddresses(envelope.to),
    cc: toAddresses(envelope.cc),
    subject: envelope.subject ?? '',
    date: isoDate(envelope.date, message.internalDate),
    size: message.size ?? 0,
    preview,
    hasAttachments: hasAttachments(message.bodyStructure),
  };
}

/**
 * Summaries for the given UIDs in the selected folder, newest first. One FETCH for the metadata, then one
 * partial FETCH per distinct preview part number (nearly always just "1" and "1.1"), so a page costs a handful
 * of round trips however long the messages are.
 */
export async function fetchSummaries(client: ImapFlow, folder: string, uids: number[]): Promise<MessageSummary[]> {
  if (uids.length === 0) return [];
  const messages = await client.fetchAll(uids.join(','), SUMMARY_QUERY, { uid: true });
  const previews = await fetchPreviews(client, messages);
  return messages.map((m) => toSummary(folder, m, previews.get(m.uid) ?? '')).sort((a, b) => b.uid - a.uid);
}

async function fetchPreviews(client: ImapFlow, messages: FetchMessageObject[]): Promise<Map<number, string>> {
  const groups = new Map<string, { leaf: LeafPart; uids: number[]; bytes: number }>();
  const leaves = new Map<number, LeafPart>();
  for (const message of messages) {
    const leaf = previewPart(message.bodyStructure);
    if (!leaf) continue;
    leaves.set(message.uid, leaf);
    const group = groups.get(leaf.part) ?? { leaf, uids: [], bytes: 0 };
    group.uids.push(message.uid);
    group.bytes = Math.max(group.bytes, previewFetchBytes(leaf));
    groups.set(leaf.part, group);
  }
  const previews = new Map<number, string>();
  for (const [part, group] of groups) {
    const fetched = await client.fetchAll(group.uids.join(','), { uid: true, bodyParts: [{ key: part, start: 0, maxLength: group.bytes }] }, { uid: true });
    for (const message of fetched) {
      const raw = message.bodyParts?.get(part.toLowerCase()) ?? message.bodyParts?.get(part);
      const leaf = leaves.get(message.uid);
      if (raw && leaf) previews.set(message.uid, previewText(raw, leaf));
    }
  }
  return previews;
}
