/**
 * Property tests for the MIME parser, which faces the network: generated well-formed messages must parse to
 * exactly the generated tree, and random or mutated bytes must never throw, must keep every offset inside the
 * message and properly nested, must serialise to syntactically valid IMAP, and must stay fast.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bodyStructureToImap, envelopeToImap } from './imap-serialize.ts';
import { parseMessageSync } from './parse.ts';
import { decodePart, extractSection, partByPath } from './section.ts';
import { checkTree } from './test-fixtures.ts';
import type { MimePart, ParsedMessage, SectionSpec } from './types.ts';

/** MIME_FUZZ_SCALE=50 runs fifty times as many cases, for a longer hunt than CI affords. */
const SCALE = Math.max(1, Number(process.env.MIME_FUZZ_SCALE) || 1);

/** Per-message bound; a parse of these small inputs takes well under a millisecond. */
const MAX_MS_PER_MESSAGE = 500;

type GenNode =
  | { kind: 'leaf'; contentType: string | null; encoding: string | null; body: string[] }
  | { kind: 'multipart'; subtype: string; preamble: string[]; children: GenNode[]; epilogue: string[] }
  | { kind: 'message'; inner: GenNode };

/** Body text lines that can never be mistaken for a delimiter or a header end. */
const bodyLine = fc.stringMatching(/^[a-zA-Z0-9 .,:;=!?]{0,30}$/);
const bodyLines = fc.array(bodyLine, { maxLength: 4 });

const leaf: fc.Arbitrary<GenNode> = fc.record({
  kind: fc.constant('leaf' as const),
  contentType: fc.constantFrom(null, 'text/plain; charset=utf-8', 'text/html', 'application/octet-stream', 'image/png; name="a.png"'),
  encoding: fc.constantFrom(null, '7bit', 'base64', 'quoted-printable'),
  body: bodyLines,
});

const tree = fc.letrec<{ node: GenNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({
      kind: fc.constant('multipart' as const),
      subtype: fc.constantFrom('mixed', 'alternative', 'related'),
      preamble: bodyLines,
      children: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
      epilogue: bodyLines,
    }),
    fc.record({ kind: fc.constant('message' as const), inner: tie('node') }),
  ),
})).node;

/** Lines of a node, header included. Boundaries derive from the node's position, so they are unique. */
function render(node: GenNode, id: string): string[] {
  switch (node.kind) {
    case 'leaf': {
      const header: string[] = [];
      if (node.contentType) header.push(`Content-Type: ${node.contentType}`);
      if (node.encoding) header.push(`Content-Transfer-Encoding: ${node.encoding}`);
      return [...header, '', ...node.body];
    }
    case 'multipart': {
      const boundary = `=_b${id}`;
      const lines = [`Content-Type: multipart/${node.subtype}; boundary="${boundary}"`, '', ...node.preamble];
      node.children.forEach((child, i) => lines.push(`--${boundary}`, ...render(child, `${id}.${i + 1}`)));
      lines.push(`--${boundary}--`, ...node.epilogue);
      return lines;
    }
    case 'message':
      return ['Content-Type: message/rfc822', '', 'Subject: inner', ...render(node.inner, `${id}m`)];
  }
}

function shapeOf(node: GenNode): unknown {
  switch (node.kind) {
    case 'leaf':
      return [(node.contentType ?? 'text/plain').split(';')[0], []];
    case 'multipart':
      return [`multipart/${node.subtype}`, node.children.map(shapeOf)];
    case 'message':
      return ['message/rfc822', [shapeOf(node.inner)]];
  }
}

function parsedShape(part: MimePart): unknown {
  return [`${part.type}/${part.subtype}`, part.children.map(parsedShape)];
}

/** Leaf bodies in document order, generated and parsed. */
function generatedBodies(node: GenNode, eol: string): string[] {
  if (node.kind === 'leaf') return [node.body.join(eol)];
  if (node.kind === 'message') return generatedBodies(node.inner, eol);
  return node.children.flatMap((c) => generatedBodies(c, eol));
}

function parsedBodies(raw: Buffer, part: MimePart): string[] {
  if (part.children.length === 0) return [raw.toString('latin1', part.bodyStart, part.bodyEnd)];
  return part.children.flatMap((c) => parsedBodies(raw, c));
}

/**
 * Minimal IMAP syntax check of a serialised structure: strings, literals, NIL, numbers and balanced parentheses,
 * with the whole input consumed. Catches unbalanced output and broken literal counts.
 */
function assertImapSyntax(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let i = 0;
  let depth = 0;
  while (i < bytes.length) {
    const c = bytes[i] as number;
    if (c === 0x28) {
      depth++;
      i++;
    } else if (c === 0x29) {
      depth--;
      assert.ok(depth >= 0, 'parentheses balanced');
      i++;
    } else if (c === 0x20) {
      i++;
    } else if (c === 0x22) {
      i++;
      while (i < bytes.length && bytes[i] !== 0x22) {
        assert.ok(bytes[i] !== 0x0d && bytes[i] !== 0x0a, 'no CR/LF in quoted string');
        i += bytes[i] === 0x5c ? 2 : 1;
      }
      assert.ok(i < bytes.length, 'quoted string terminated');
      i++;
    } else if (c === 0x7b) {
      const close = bytes.indexOf(0x7d, i);
      const n = Number(bytes.toString('latin1', i + 1, close));
      assert.ok(Number.isInteger(n) && bytes[close + 1] === 0x0d && bytes[close + 2] === 0x0a, 'literal header');
      i = close + 3 + n;
      assert.ok(i <= bytes.length, 'literal length inside output');
    } else {
      const start = i;
      while (i < bytes.length && /[A-Za-z0-9]/.test(String.fromCharCode(bytes[i] as number))) i++;
      const atom = bytes.toString('latin1', start, i);
      assert.ok(atom === 'NIL' || /^\d+$/.test(atom), `unexpected token at ${start}: ${JSON.stringify(text.slice(start, start + 20))}`);
    }
  }
  assert.equal(depth, 0, 'parentheses balanced at the end');
}

/** Everything FETCH may do with a parsed message must work without throwing. */
function exerciseFetch(raw: Buffer, msg: ParsedMessage): void {
  assertImapSyntax(bodyStructureToImap(msg.root, true));
  assertImapSyntax(bodyStructureToImap(msg.root, false));
  assertImapSyntax(envelopeToImap(msg.envelope));
  const kinds: SectionSpec['kind'][] = ['ALL', 'HEADER', 'TEXT', 'MIME', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT'];
  const visit = (part: MimePart): void => {
    if (part.envelope) assertImapSyntax(envelopeToImap(part.envelope));
    const path = part.path === '' ? [] : part.path.split('.').map(Number);
    const found = partByPath(msg.root, path);
    assert.ok(found === part || found?.children[0] === part, `path ${part.path} resolves`);
    for (const kind of kinds) {
      const out = extractSection(raw, msg.root, { part: path, kind, fields: ['subject', 'content-type'] });
      if (out) assert.ok(out.length <= raw.length + 4);
    }
    decodePart(raw, part);
    part.children.forEach(visit);
  };
  visit(msg.root);
}

function parseTimed(raw: Buffer): ParsedMessage {
  const start = performance.now();
  const msg = parseMessageSync(raw);
  const ms = performance.now() - start;
  assert.ok(ms < MAX_MS_PER_MESSAGE, `parse took ${ms} ms for ${raw.length} bytes`);
  return msg;
}

/** Byte strings that provoke the parser: delimiters, header ends, encodings, nesting. */
const dangerous = fc.constantFrom(
  '--',
  '--=_b',
  '--=_b1--',
  '\r\n',
  '\n',
  '\r',
  '\r\n\r\n',
  '\0',
  ' ',
  'Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n',
  'Content-Type: message/rfc822\r\n\r\n',
  'Content-Transfer-Encoding: base64\r\n',
  '=?utf-8?B?',
  '=?x?q?=FF?=',
  "filename*0*=utf-8''%FF",
  '<a@b>',
  'To: g: a@b;, (c) <',
  '\xff\xfe',
);

type Mutation =
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; at: number; len: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.nat({ max: 40 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.nat({ max: 80 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(dangerous, fc.string({ maxLength: 8 })) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(raw: Buffer, mutations: Mutation[]): Buffer {
  let buf = raw;
  for (const m of mutations) {
    const at = buf.length === 0 ? 0 : m.at % (buf.length + 1);
    switch (m.op) {
      case 'delete':
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
        break;
      case 'duplicate':
        buf = Buffer.concat([buf.subarray(0, at + m.len), buf.subarray(at)]);
        break;
      case 'insert':
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.text, 'latin1'), buf.subarray(at)]);
        break;
      case 'truncate':
        buf = buf.subarray(0, at);
        break;
    }
  }
  return buf;
}

const topHeaders = ['From: "A" <a@example.com>', 'To: b@example.com, G: c@example.com;', 'Subject: =?UTF-8?B?w6Q=?= test'];

function renderMessage(node: GenNode, eol: string): Buffer {
  return Buffer.from([...topHeaders, ...render(node, '1')].join(eol), 'latin1');
}

describe('parseMessage properties', () => {
  it('parses generated well-formed messages to exactly the generated tree (CRLF and LF)', () => {
    fc.assert(
      fc.property(tree, fc.constantFrom('\r\n', '\n'), (node, eol) => {
        const raw = renderMessage(node, eol);
        const msg = parseTimed(raw);
        checkTree(raw, msg.root);
        assert.deepEqual(parsedShape(msg.root), shapeOf(node));
        assert.deepEqual(parsedBodies(raw, msg.root), generatedBodies(node, eol));
        exerciseFetch(raw, msg);
      }),
      { numRuns: 300 * SCALE, includeErrorInReport: true },
    );
  });

  it('never throws on mutated messages, and keeps offsets in bounds and nested', () => {
    fc.assert(
      fc.property(tree, fc.constantFrom('\r\n', '\n'), fc.array(mutation, { minLength: 1, maxLength: 6 }), (node, eol, ms) => {
        const raw = mutate(renderMessage(node, eol), ms);
        const msg = parseTimed(raw);
        checkTree(raw, msg.root);
        assert.equal(msg.size, raw.length);
        assert.ok(msg.preview.length <= 200);
        exerciseFetch(raw, msg);
      }),
      { numRuns: 500 * SCALE, includeErrorInReport: true },
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const raw = Buffer.from(bytes);
        const msg = parseTimed(raw);
        checkTree(raw, msg.root);
        exerciseFetch(raw, msg);
      }),
      { numRuns: 300 * SCALE, includeErrorInReport: true },
    );
  });

  it('never throws on random header-like text', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.tuple(fc.constantFrom('From', 'To', 'Cc', 'Subject', 'Date', 'Content-Type', 'Content-Disposition', 'References'), fc.string({ maxLength: 60 })).map(([k, v]) => `${k}: ${v}`),
      dangerous,
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\r\n', '\n'), (lines, eol) => {
        const raw = Buffer.from(lines.join(eol), 'utf8');
        const msg = parseTimed(raw);
        checkTree(raw, msg.root);
        exerciseFetch(raw, msg);
      }),
      { numRuns: 300 * SCALE, includeErrorInReport: true },
    );
  });
});
