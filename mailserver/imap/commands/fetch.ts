import { decodePart, extractSection, partByPath } from '../../mime/index.ts';
import type { MimePart, SectionSpec } from '../../mime/types.ts';
import type { FetchRow } from '../../store/types.ts';
import { bad, no, ok, type CommandContext, type Completion } from '../context.ts';
import { flagList, utf8Names } from '../format.ts';
import { resolveMessages } from '../message-set.ts';
import { formatImapDateTime } from '../protocol/dates.ts';
import type { ByteRange, FetchArgs, FetchAtt } from '../protocol/types.ts';
import { compressUids, nstring, sectionName } from '../protocol/writer.ts';

/** What the items of one FETCH need from the store, worked out once per command. */
interface FetchNeeds {
  envelope: boolean;
  bodyStructure: boolean;
  preview: boolean;
  raw: boolean;
  tree: boolean;
  setsSeen: boolean;
}

function needsOf(items: readonly FetchAtt[]): FetchNeeds {
  const kinds = new Set(items.map((i) => i.kind));
  const bodyItems = items.filter((i) => i.kind === 'BODY[]' || i.kind === 'BINARY[]' || i.kind === 'BINARY.SIZE');
  return {
    envelope: kinds.has('ENVELOPE'),
    bodyStructure: kinds.has('BODYSTRUCTURE') || kinds.has('BODY'),
    preview: kinds.has('PREVIEW'),
    raw: bodyItems.length > 0 || kinds.has('RFC822') || kinds.has('RFC822.HEADER') || kinds.has('RFC822.TEXT'),
    tree:
      bodyItems.some((i) => i.kind !== 'BODY[]' || i.section.part.length > 0 || i.section.kind !== 'ALL') ||
      kinds.has('RFC822.HEADER') ||
      kinds.has('RFC822.TEXT'),
    setsSeen: items.some((i) => ((i.kind === 'BODY[]' || i.kind === 'BINARY[]') && !i.peek) || i.kind === 'RFC822' || i.kind === 'RFC822.TEXT'),
  };
}

function applyPartial(data: Buffer, partial: ByteRange | null): Buffer {
  if (!partial) return data;
  return data.subarray(Math.min(partial.offset, data.length), Math.min(partial.offset + partial.length, data.length));
}

/** A literal; literal8 (~{n}) when the bytes include NUL, which only BINARY may return. */
function literalOf(data: Buffer, allowBinary: boolean): Buffer[] {
  const marker = allowBinary && data.includes(0) ? '~' : '';
  return [Buffer.from(`${marker}{${data.length}}\r\n`), data];
}

interface MessageContent {
  raw: Buffer;
  tree: MimePart | null;
}

type ItemResult = Array<string | Buffer> | { error: Completion };

function bodySection(content: MessageContent, section: SectionSpec): Buffer {
  if (section.part.length === 0 && section.kind === 'ALL') return content.raw;
  return extractSection(content.raw, content.tree!, section) ?? Buffer.alloc(0);
}

/** One item's response text (name and value), in request order. */
function renderItem(item: FetchAtt, row: FetchRow, recent: boolean, content: MessageContent | null, utf8: boolean): ItemResult {
  switch (item.kind) {
    case 'UID':
      return [`UID ${row.uid}`];
    case 'FLAGS':
      return [`FLAGS ${flagList(row.flags, recent)}`];
    case 'INTERNALDATE':
      return [`INTERNALDATE "${formatImapDateTime(row.internalDate)}"`];
    case 'RFC822.SIZE':
      return [`RFC822.SIZE ${row.size}`];
    case 'ENVELOPE':
      return [`ENVELOPE ${row.envelope}`];
    case 'BODYSTRUCTURE':
      return [`BODYSTRUCTURE ${row.bodyStructure}`];
    case 'BODY':
      return [`BODY ${row.body}`];
    case 'MODSEQ':
      return [`MODSEQ (${row.modseq})`];
    case 'EMAILID':
      return [`EMAILID (${row.emailId})`];
    case 'THREADID':
      return [`THREADID (${row.threadId})`];
    case 'SAVEDATE':
      return [`SAVEDATE "${formatImapDateTime(row.saveDate)}"`];
    case 'PREVIEW':
      // 8-bit text goes as a literal unless the client accepts UTF-8 in quoted strings.
      return [`PREVIEW ${nstring(row.preview ?? null, utf8)}`];
    case 'RFC822':
      return ['RFC822 ', ...literalOf(content!.raw, false)];
    case 'RFC822.HEADER':
      return ['RFC822.HEADER ', ...literalOf(bodySection(content!, { part: [], kind: 'HEADER' }), false)];
    case 'RFC822.TEXT':
      return ['RFC822.TEXT ', ...literalOf(bodySection(content!, { part: [], kind: 'TEXT' }), false)];
    case 'BODY[]': {
      const data = applyPartial(bodySection(content!, item.section), item.partial);
      const origin = item.partial ? `<${item.partial.offset}>` : '';
      return [`BODY[${sectionName(item.section)}]${origin} `, ...literalOf(data, false)];
    }
    case 'BINARY[]':
    case 'BINARY.SIZE': {
      const part = item.part.length === 0 ? null : partByPath(content!.tree!, item.part);
      if (item.part.length > 0 && !part) return { error: no(`Message ${row.uid} has no part ${item.part.join('.')}`, 'NONEXISTENT') };
      const decoded = part ? decodePart(content!.raw, part) : content!.raw;
      if (!decoded) return { error: no(`Part ${item.part.join('.')} has an unknown content transfer encoding`, 'UNKNOWN-CTE') };
      if (item.kind === 'BINARY.SIZE') return [`BINARY.SIZE[${item.part.join('.')}] ${decoded.length}`];
      const origin = item.partial ? `<${item.partial.offset}>` : '';
      return [`BINARY[${item.part.join('.')}]${origin} `, ...literalOf(applyPartial(decoded, item.partial), true)];
    }
  }
}

export async function fetchCommand(ctx: CommandContext, args: FetchArgs, byUid: boolean): Promise<Completion> {
  const { session, services, out } = ctx;
  const view = session.view!;
  const target = resolveMessages(session, args.set, byUid);
  if (!target.ok) return bad(target.error);
  if (args.vanished && (!byUid || args.changedSince === null || !session.enabled.has('QRESYNC'))) {
    return bad('VANISHED needs UID FETCH, CHANGEDSINCE and an enabled QRESYNC');
  }
  const items = [...args.items];
  const has = (kind: string) => items.some((i) => i.kind === kind);
  if (byUid && !has('UID')) items.unshift({ kind: 'UID' });
  if (args.changedSince !== null || has('MODSEQ')) session.condstore = true;
  if (args.changedSince !== null && !has('MODSEQ')) items.push({ kind: 'MODSEQ' });
  const needs = needsOf(items);
  const utf8 = utf8Names(session);

  if (args.vanished && args.changedSince !== null) {
    const requested = new Set(target.uids);
    const vanished = (await services.store.vanishedSince(view.mailbox.id, args.changedSince)).filter((u) => requested.has(u) || !view.seqOf(u));
    if (vanished.length > 0) await out.line(`* VANISHED (EARLIER) ${compressUids(vanished)}`);
  }
  // Reading a body sets \Seen (RFC 9051 §6.4.5); do it first so the rows below carry the new flags.
  let seenNow = new Set<number>();
  if (needs.setsSeen && !view.readOnly && target.uids.length > 0) {
    const result = await services.store.storeFlags(view.mailbox.id, target.uids, 'add', ['\\Seen']);
    for (const change of result.changed) view.noteOwnChange(change.uid, change.modseq);
    seenNow = new Set(result.changed.map((c) => c.uid));
  }
  if (seenNow.size > 0 && !has('FLAGS')) items.push({ kind: 'FLAGS' });

  let delivered = 0;
  for await (const batch of services.store.fetch(view.mailbox.id, target.uids, needs)) {
    delivered += batch.length;
    for (const row of batch) {
      if (args.changedSince !== null && row.modseq <= args.changedSince) continue;
      const seq = view.seqOf(row.uid);
      if (seq === 0) continue;
      const content = needs.raw
        ? { raw: await services.store.raw(row.contentId), tree: needs.tree ? await services.store.mimeTree(row.contentId) : null }
        : null;
      const parts: Array<string | Buffer> = [`* ${seq} FETCH (`];
      let first = true;
      for (const item of items) {
        const rendered = renderItem(item, row, view.isRecent(row.uid), content, utf8);
        if ('error' in rendered) return rendered.error;
        if (!first) parts.push(' ');
        parts.push(...rendered);
        first = false;
      }
      parts.push(')\r\n');
      // Most rows are all text (flags, envelope): hand them over as one string.
      if (parts.every((p) => typeof p === 'string')) await out.write(parts.join(''));
      else for (const part of parts) await out.write(part);
    }
  }
  // Messages still in this session's view but already expunged elsewhere cannot be served (RFC 9051 §7.1).
  if (delivered < target.uids.length) return ok('Fetch completed; some messages were expunged by another session', 'EXPUNGEISSUED');
  return ok('Fetch completed');
}
