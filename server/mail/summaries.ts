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
 * Where the readable text sits in nearly all mail: a single part (1), the first part of a mixed or an
 * alternative (1 or 1.1), or the plain part of an alternative inside a mixed or related (1.1.1).
 */
const LIKELY_PREVIEW_PARTS = ['1', '1.1', '1.1.1'];
const LIKELY_PREVIEW_BYTES = 2048;

/**
 * Summaries for the given UIDs in the selected folder, newest first. The one FETCH that brings the metadata
 * also brings the opening bytes of the parts where text usually is, so a page is one round trip; the rare
 * message whose text sits elsewhere costs one more FETCH for all such messages together.
 */
export async function fetchSummaries(client: ImapFlow, folder: string, uids: number[]): Promise<MessageSummary[]> {
  if (uids.length === 0) return [];
  const bodyParts = LIKELY_PREVIEW_PARTS.map((key) => ({ key, start: 0, maxLength: LIKELY_PREVIEW_BYTES }));
  const messages = await client.fetchAll(uids.join(','), { ...SUMMARY_QUERY, bodyParts }, { uid: true });
  const previews = new Map<number, string>();
  const elsewhere: FetchMessageObject[] = [];
  for (const message of messages) {
    const leaf = previewPart(message.bodyStructure);
    if (!leaf) continue;
    const raw = LIKELY_PREVIEW_PARTS.includes(leaf.part) ? message.bodyParts?.get(leaf.part) : undefined;
    if (raw && raw.length >= Math.min(leaf.size, previewFetchBytes(leaf), LIKELY_PREVIEW_BYTES)) previews.set(message.uid, previewText(raw, leaf));
    else elsewhere.push(message);
  }
  for (const [uid, preview] of await fetchPreviews(client, elsewhere)) previews.set(uid, preview);
  return messages.map((m) => toSummary(folder, m, previews.get(m.uid) ?? '')).sort((a, b) => b.uid - a.uid);
}

/** Previews for messages whose text part was not among the likely ones: one partial FETCH per part number. */
async function fetchPreviews(client: ImapFlow, messages: FetchMessageObject[]): Promise<Map<number, string>> {
  const groups = new Map<string, { uids: number[]; bytes: number }>();
  const leaves = new Map<number, LeafPart>();
  for (const message of messages) {
    const leaf = previewPart(message.bodyStructure);
    if (!leaf) continue;
    leaves.set(message.uid, leaf);
    const group = groups.get(leaf.part) ?? { uids: [], bytes: 0 };
    group.uids.push(message.uid);
    group.bytes = Math.max(group.bytes, previewFetchBytes(leaf));
    groups.set(leaf.part, group);
  }
  const previews = new Map<number, string>();
  for (const [part, group] of groups) {
    const fetched = await client.fetchAll(group.uids.join(','), { uid: true, bodyParts: [{ key: part, start: 0, maxLength: group.bytes }] }, { uid: true });
    for (const message of fetched) {
      const raw = message.bodyParts?.get(part);
      const leaf = leaves.get(message.uid);
      if (raw && leaf) previews.set(message.uid, previewText(raw, leaf));
    }
  }
  return previews;
}
