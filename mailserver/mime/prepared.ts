import { bodyStructureToImap, envelopeToImap } from './imap-serialize.ts';
import { parseMessageSync } from './parse.ts';
import type { ParsedMessage } from './types.ts';

/** A message parsed at delivery plus its pre-serialised IMAP forms, ready for the store. */
export interface PreparedMessage {
  parsed: ParsedMessage;
  envelope: string;
  bodyStructure: string;
  body: string;
}

export function prepareMessage(raw: Buffer): PreparedMessage {
  const parsed = parseMessageSync(raw);
  return {
    parsed,
    envelope: envelopeToImap(parsed.envelope),
    bodyStructure: bodyStructureToImap(parsed.root, true),
    body: bodyStructureToImap(parsed.root, false),
  };
}

/** Something that prepares messages: in this thread, or in a pool of worker threads. */
export interface MessagePreparer {
  prepare(raw: Buffer): Promise<PreparedMessage>;
  close(): Promise<void>;
}

export const inThreadPreparer: MessagePreparer = {
  prepare: async (raw) => prepareMessage(raw),
  close: async () => {},
};
