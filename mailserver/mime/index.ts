/** Public surface of the MIME module: parse once at delivery, then serve FETCH from offsets. */
export { parseMessage, parseMessageSync } from './parse.ts';
export { bodyStructureToImap, envelopeToImap, imapNString, imapString } from './imap-serialize.ts';
export { decodePart, extractSection, partByPath } from './section.ts';
export { LIMITS } from './limits.ts';
export type {
  ContentDisposition,
  EnvelopeAddress,
  ImapEnvelope,
  MimePart,
  ParsedMessage,
  SectionSpec,
} from './types.ts';
