import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CommandReader, frameCommands, type CommandReaderOptions, type FrameError, type FrameEvent, type LiteralRequest } from './reader.ts';
import type { FramedCommand } from './types.ts';

type Ev =
  | { type: 'command'; command: FramedCommand }
  | { type: 'literal'; request: LiteralRequest }
  | { type: 'line'; line: string }
  | { type: 'error'; error: FrameError }
  | { type: 'fatal'; error: FrameError }
  | { type: 'drain' };

/** A reader whose events are recorded; with `auto` it resumes after every event like a fast session. */
function harness(options: CommandReaderOptions = {}, auto = true, accept: (r: LiteralRequest) => boolean = () => true) {
  const events: Ev[] = [];
  const reader: CommandReader = new CommandReader(options, {
    onCommand(command) {
      events.push({ type: 'command', command });
      if (auto) reader.resume();
    },
    onLiteral(request) {
      events.push({ type: 'literal', request });
      return accept(request);
    },
    onLine(line) {
      events.push({ type: 'line', line: line.toString('latin1') });
      if (auto) reader.resume();
    },
    onError(error) {
      events.push({ type: 'error', error });
      if (auto) reader.resume();
    },
    onFatal(error) {
      events.push({ type: 'fatal', error });
    },
    onDrain() {
      events.push({ type: 'drain' });
    },
  });
  const push = (s: string | Buffer) => reader.push(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  return { reader, events, push };
}

/** A command as readable text: lines and literals joined, literals shown as <...>. */
function show(cmd: FramedCommand): string {
  return cmd.pieces.map((p) => (p.type === 'text' ? p.data.toString('latin1') : `<${p.binary ? '~' : ''}${p.data.toString('latin1')}>`)).join('');
}

function commands(events: ReadonlyArray<Ev | FrameEvent>): string[] {
  return events.flatMap((e) => (e.type === 'command' ? [show(e.command)] : []));
}

function kinds(events: ReadonlyArray<Ev | FrameEvent>): string[] {
  return events.map((e) => (e.type === 'error' || e.type === 'fatal' ? `${e.type}:${e.error.kind}` : e.type));
}

describe('CommandReader framing', () => {
  it('frames simple pipelined commands and recovers tags', () => {
    const { events, push } = harness();
    push('a1 CAPABILITY\r\na2 NOOP\r\na3 UID FETCH 1:* (UID FLAGS ENVELOPE)\r\n');
    assert.deepEqual(commands(events), ['a1 CAPABILITY', 'a2 NOOP', 'a3 UID FETCH 1:* (UID FLAGS ENVELOPE)']);
    const first = events[0];
    assert.ok(first?.type === 'command');
    assert.equal(first.command.tag, 'a1');
    assert.equal(first.command.bytes, 'a1 CAPABILITY\r\n'.length);
  });

  it('accepts bare LF line ends and ignores empty lines between commands', () => {
    const { events, push } = harness();
    push('\r\n\r\na1 NOOP\n\na2 NOOP\r\n');
    assert.deepEqual(commands(events), ['a1 NOOP', 'a2 NOOP']);
  });

  it('gives the same result however the input is split', () => {
    const input = 'a1 LOGIN {4}\r\nfred {6+}\r\nsecret\r\na2 APPEND INBOX ~{3}\r\n\0\x01\x02\r\na3 NOOP\r\n';
    const whole = frameCommands(Buffer.from(input, 'latin1'));
    const bytes = [...Buffer.from(input, 'latin1')].map((b) => Buffer.from([b]));
    assert.deepEqual(frameCommands(bytes), whole);
    assert.deepEqual(commands(whole), ['a1 LOGIN {4}<fred> {6+}<secret>', 'a2 APPEND INBOX ~{3}<~\0\x01\x02>', 'a3 NOOP']);
  });

  it('asks before a synchronizing literal and only then reads its data', () => {
    const { events, push } = harness();
    push('A003 APPEND saved-messages (\\Seen) {23}\r\n');
    assert.deepEqual(kinds(events), ['literal']);
    const req = events[0];
    assert.ok(req?.type === 'literal');
    assert.deepEqual(req.request, {
      tag: 'A003',
      command: 'APPEND',
      uid: false,
      size: 23,
      binary: false,
      commandBytes: 'A003 APPEND saved-messages (\\Seen) {23}\r\n'.length,
    });
    push('Date: Mon, 7 Feb 1994\r\n');
    assert.deepEqual(kinds(events), ['literal']);
    push('\r\n');
    assert.deepEqual(commands(events), ['A003 APPEND saved-messages (\\Seen) {23}<Date: Mon, 7 Feb 1994\r\n>']);
  });

  it('does not ask for non-synchronizing literals', () => {
    const { events, push } = harness();
    push('a1 LOGIN {4+}\r\nfred {6+}\r\nsecret\r\n');
    assert.deepEqual(kinds(events), ['command']);
    const cmd = events[0];
    assert.ok(cmd?.type === 'command');
    assert.deepEqual(
      cmd.command.pieces.map((p) => (p.type === 'literal' ? { sync: p.sync, binary: p.binary } : p.type)),
      ['text', { sync: false, binary: false }, 'text', { sync: false, binary: false }, 'text'],
    );
  });

  it('drops a command whose literal the session refused and frames the next one', () => {
    const { events, push } = harness({}, true, () => false);
    push('a1 LOGIN {4}\r\n');
    push('a2 NOOP\r\n');
    assert.deepEqual(kinds(events), ['literal', 'command']);
    assert.deepEqual(commands(events), ['a2 NOOP']);
  });

  it('refuses an oversized synchronizing literal with tagged NO [TOOBIG] before any data', () => {
    const { events, push } = harness({ maxLiteralBytes: 1000 });
    push('t1 APPEND INBOX {1001}\r\n');
    assert.deepEqual(kinds(events), ['error:literal-too-large']);
    const e = events[0];
    assert.ok(e?.type === 'error');
    assert.equal(e.error.tag, 't1');
    assert.equal(e.error.status, 'NO');
    assert.equal(e.error.code, 'TOOBIG');
    push('t2 NOOP\r\n');
    assert.deepEqual(commands(events), ['t2 NOOP']);
  });

  it('refuses absurd literal sizes without overflowing', () => {
    const { events, push } = harness();
    push('t1 LOGIN {99999999999999999999999999999}\r\nt2 NOOP\r\n');
    assert.deepEqual(kinds(events), ['error:literal-too-large', 'command']);
  });

  it('treats an oversized non-synchronizing literal as fatal', () => {
    const { reader, events, push } = harness({ maxLiteralBytes: 1000 });
    assert.equal(push('t1 APPEND INBOX {5000+}\r\n'), false);
    assert.deepEqual(kinds(events), ['fatal:literal-too-large']);
    assert.equal(reader.isClosed, true);
    assert.equal(push('t2 NOOP\r\n'), false);
    assert.equal(events.length, 1);
  });

  it('enforces LITERAL-: a non-synchronizing literal over 4096 bytes is read, discarded and answered BAD', () => {
    const { events, push } = harness({ literalMinus: true });
    // The literal's content looks like a command; it must be thrown away, not run.
    const data = 't9 LOGOUT\r\n'.padEnd(4097, 'X');
    push(`t1 APPEND INBOX {4097+}\r\n${data.slice(0, 100)}`);
    assert.deepEqual(kinds(events), ['error:literal-too-large']);
    const e = events[0];
    assert.ok(e?.type === 'error');
    assert.equal(e.error.status, 'BAD');
    assert.equal(e.error.code, 'TOOBIG');
    assert.equal(e.error.tag, 't1');
    push(`${data.slice(100)}\r\nt2 NOOP\r\n`);
    assert.deepEqual(commands(events), ['t2 NOOP']);
  });

  it('allows non-synchronizing literals up to 4096 bytes under LITERAL-', () => {
    const events = frameCommands(`t1 APPEND INBOX {4096+}\r\n${'y'.repeat(4096)}\r\n`, { literalMinus: true });
    assert.deepEqual(kinds(events), ['command']);
  });

  it('frames literal8 for BINARY APPEND', () => {
    const events = frameCommands(Buffer.from('a1 APPEND INBOX ~{4}\r\n\0\xff\r\n\r\n', 'latin1'));
    const c = events[0];
    assert.ok(c?.type === 'command');
    const lit = c.command.pieces[1];
    assert.ok(lit?.type === 'literal');
    assert.equal(lit.binary, true);
    assert.deepEqual([...lit.data], [0, 0xff, 0x0d, 0x0a]);
  });

  it('does not take "{5}" inside an open quoted string for a literal', () => {
    const events = frameCommands('a1 SEARCH SUBJECT "x {5}\r\na2 NOOP\r\n');
    assert.deepEqual(commands(events), ['a1 SEARCH SUBJECT "x {5}', 'a2 NOOP']);
    const escaped = frameCommands('a1 LOGIN "a\\" {3}\r\na2 NOOP\r\n');
    assert.deepEqual(commands(escaped), ['a1 LOGIN "a\\" {3}', 'a2 NOOP']);
    const closed = frameCommands('a1 LOGIN "a\\\\" {3}\r\nabc\r\n');
    assert.deepEqual(commands(closed), ['a1 LOGIN "a\\\\" {3}<abc>']);
  });
});

describe('CommandReader limits', () => {
  it('answers an over-long line with a tagged BAD and resynchronises at the next line', () => {
    const { events, push } = harness({ maxLineBytes: 100 });
    push(`x7 SEARCH SUBJECT ${'a'.repeat(200)}\r\nx8 NOOP\r\n`);
    assert.deepEqual(kinds(events), ['error:line-too-long', 'command']);
    const e = events[0];
    assert.ok(e?.type === 'error');
    assert.equal(e.error.tag, 'x7');
    assert.equal(e.error.status, 'BAD');
    assert.equal(e.error.raw, false);
    assert.deepEqual(commands(events), ['x8 NOOP']);
  });

  it('accepts a line of exactly the maximum length', () => {
    const line = `a1 ${'b'.repeat(97)}`;
    assert.equal(line.length, 100);
    assert.deepEqual(commands(frameCommands(`${line}\r\n`, { maxLineBytes: 100 })), [line]);
    assert.deepEqual(kinds(frameCommands(`${line}b\r\n`, { maxLineBytes: 100 })), ['error:line-too-long']);
  });

  it('reports an over-long line before it ends and keeps memory flat while discarding 50 MB of garbage', () => {
    const { reader, events, push } = harness();
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 800; i++) {
      assert.equal(push(chunk), true);
      assert.equal(reader.bufferedBytes, 0);
    }
    const grown = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 32 * 1024 * 1024, `memory grew by ${grown} bytes`);
    assert.deepEqual(kinds(events), ['error:line-too-long']);
    push('\r\na1 NOOP\r\n');
    assert.deepEqual(commands(events), ['a1 NOOP']);
  });

  it('keeps discarding while paused, so garbage cannot pile up behind an unanswered error', () => {
    const { reader, events, push } = harness({ maxLineBytes: 1000, maxPendingBytes: 10000 }, false);
    for (let i = 0; i < 100; i++) push(Buffer.alloc(1000, 0x42));
    assert.deepEqual(kinds(events), ['error:line-too-long']);
    assert.equal(reader.bufferedBytes, 0);
    assert.equal(reader.isClosed, false);
  });

  it('does not run a non-synchronizing literal announced at the end of an over-long line', () => {
    const events = frameCommands(`a1 APPEND ${'x'.repeat(300)} {9+}\r\na2 LOGOUT\r\na3 NOOP\r\n`, { maxLineBytes: 100 });
    assert.deepEqual(kinds(events), ['error:line-too-long', 'command']);
    assert.deepEqual(commands(events), ['a3 NOOP']);
  });

  it('limits the total command size', () => {
    const opts = { maxCommandBytes: 200, maxLiteralBytes: 150 };
    // Refused before its data: the client sends the next command instead.
    const sync = frameCommands('a1 LOGIN {100}\r\n' + 'u'.repeat(100) + ' {100}\r\na2 NOOP\r\n', opts);
    assert.deepEqual(kinds(sync), ['error:command-too-large', 'command']);
    assert.deepEqual(commands(sync), ['a2 NOOP']);
    // A non-synchronizing literal that does not fit is consumed, not executed.
    const nonSync = frameCommands('a1 LOGIN {100+}\r\n' + 'u'.repeat(100) + ' {100+}\r\n' + 'a9 LOGOUT\r\n'.padEnd(100, 'p') + '\r\na2 NOOP\r\n', opts);
    assert.deepEqual(kinds(nonSync), ['error:command-too-large', 'command']);
    assert.deepEqual(commands(nonSync), ['a2 NOOP']);
  });

  it('limits the number of literals in a command', () => {
    const events = frameCommands('a1 X {1}\r\na {1}\r\nb {1}\r\na2 NOOP\r\n', { maxLiterals: 2 });
    assert.deepEqual(kinds(events), ['error:too-many-literals', 'command']);
    assert.deepEqual(commands(events), ['a2 NOOP']);
  });

  it('applies new limits with configure()', () => {
    const { reader, events, push } = harness({ maxLiteralBytes: 10 });
    push('a1 APPEND INBOX {20}\r\n');
    reader.configure({ maxLiteralBytes: 100 });
    push('a2 APPEND INBOX {20}\r\n' + 'z'.repeat(20) + '\r\n');
    assert.deepEqual(kinds(events), ['error:literal-too-large', 'literal', 'command']);
  });

  it('derives the command limit from a reconfigured literal limit', () => {
    const { reader, events, push } = harness({ maxLiteralBytes: 10 });
    reader.configure({ maxLiteralBytes: 2 * 1024 * 1024 });
    const size = 1536 * 1024;
    push(`a1 APPEND INBOX {${size}}\r\n`);
    push(Buffer.alloc(size, 0x6d));
    push('\r\n');
    assert.deepEqual(kinds(events), ['literal', 'command']);
  });
});

describe('CommandReader flow control', () => {
  it('pauses after each command until resumed', () => {
    const { reader, events, push } = harness({}, false);
    push('a1 NOOP\r\na2 NOOP\r\na3 NOOP\r\n');
    assert.deepEqual(commands(events), ['a1 NOOP']);
    assert.equal(reader.isPaused, true);
    reader.resume();
    assert.deepEqual(commands(events), ['a1 NOOP', 'a2 NOOP']);
    reader.resume();
    reader.resume();
    assert.deepEqual(commands(events), ['a1 NOOP', 'a2 NOOP', 'a3 NOOP']);
  });

  it('signals backpressure and drain', () => {
    const { reader, events, push } = harness({ highWaterMark: 100 }, false);
    assert.equal(push('a1 NOOP\r\n'), true);
    assert.equal(push(`a2 ${'x'.repeat(150)}\r\n`), false);
    assert.equal(reader.bufferedBytes, 155);
    reader.resume();
    assert.deepEqual(kinds(events), ['command', 'command', 'drain']);
  });

  it('closes the connection when a paused reader is flooded', () => {
    const { reader, events, push } = harness({ maxPendingBytes: 1000 }, false);
    push('a1 NOOP\r\n');
    for (let i = 0; i < 10 && !reader.isClosed; i++) push(Buffer.alloc(300, 0x61));
    assert.deepEqual(kinds(events), ['command', 'fatal:input-overflow']);
    assert.equal(reader.isClosed, true);
  });

  it('reads raw AUTHENTICATE continuation lines, then commands again', () => {
    const { reader, events, push } = harness({}, false);
    push('a1 AUTHENTICATE PLAIN\r\nAGZyZWQAc2VjcmV0\r\na2 NOOP\r\n');
    assert.deepEqual(kinds(events), ['command']);
    reader.readLine();
    assert.deepEqual(events[1], { type: 'line', line: 'AGZyZWQAc2VjcmV0' });
    reader.resume();
    assert.deepEqual(commands(events), ['a1 AUTHENTICATE PLAIN', 'a2 NOOP']);
  });

  it('reads a raw line without literal processing (IDLE, then DONE)', () => {
    const { reader, events, push } = harness({}, false);
    push('a1 IDLE\r\n');
    reader.readLine();
    push('{5}\r\n');
    assert.deepEqual(events[1], { type: 'line', line: '{5}' });
    reader.readLine();
    push('DONE\r\na2 NOOP\r\n');
    assert.deepEqual(events[2], { type: 'line', line: 'DONE' });
    reader.resume();
    assert.deepEqual(commands(events), ['a1 IDLE', 'a2 NOOP']);
  });

  it('reports an over-long raw line and pauses', () => {
    const { reader, events, push } = harness({ maxLineBytes: 25 }, false);
    push('a1 AUTHENTICATE PLAIN\r\n');
    reader.readLine();
    push('AAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\na2 NOOP\r\n');
    assert.deepEqual(kinds(events), ['command', 'error:line-too-long']);
    const e = events[1];
    assert.ok(e?.type === 'error');
    assert.equal(e.error.tag, null);
    assert.equal(e.error.raw, true);
    reader.resume();
    assert.deepEqual(commands(events), ['a1 AUTHENTICATE PLAIN', 'a2 NOOP']);
  });

  it('hands over buffered bytes after STARTTLS so they are not run as commands', () => {
    const { reader, events, push } = harness({}, false);
    push('a1 STARTTLS\r\na2 LOGIN injected command\r\n');
    assert.deepEqual(commands(events), ['a1 STARTTLS']);
    assert.equal(reader.takeBuffered().toString(), 'a2 LOGIN injected command\r\n');
    reader.resume();
    assert.deepEqual(commands(events), ['a1 STARTTLS']);
    push('a3 NOOP\r\n');
    assert.deepEqual(commands(events), ['a1 STARTTLS', 'a3 NOOP']);
  });
});

describe('CommandReader robustness (property-based)', () => {
  const frame = (chunks: Uint8Array[], opts: CommandReaderOptions) =>
    frameCommands(
      chunks.map((c) => Buffer.from(c)),
      opts,
    );

  it('never throws on random bytes, and the result does not depend on chunking', () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0d, 0x0a, 0x7b, 0x7d, 0x2b, 0x7e, 0x22, 0x5c, 0x20, 0x30, 0x35));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 600 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 30 }), (bytes, cuts) => {
        const data = Uint8Array.from(bytes);
        const opts = { maxLineBytes: 64, maxLiteralBytes: 40, maxCommandBytes: 120, maxLiterals: 3 };
        const whole = frame([data], opts);
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (const c of cuts) {
          chunks.push(data.subarray(at, at + c));
          at += c;
        }
        chunks.push(data.subarray(at));
        assert.deepEqual(frame(chunks, opts), whole);
        for (const e of whole) {
          if (e.type !== 'command') continue;
          assert.ok(e.command.bytes <= 120);
          for (const p of e.command.pieces) assert.ok(p.data.length <= 64 || p.type === 'literal');
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('recovers the following command after any damaged one (when no literal is pending)', () => {
    const damaged = fc.string({ unit: fc.constantFrom(...'ab1 {}+~"\\*()\r'.split('')), maxLength: 80 });
    fc.assert(
      fc.property(damaged, (junk) => {
        // A trailing '{n+}' would legitimately swallow bytes, and an open '{n}' waits for data; skip those.
        fc.pre(!/\{[0-9]*\+?\}\r?$/.test(junk));
        const events = frameCommands(`${junk}\r\nz9 NOOP\r\n`, { maxLineBytes: 40 });
        assert.equal(commands(events).at(-1), 'z9 NOOP');
      }),
      { numRuns: 1500 },
    );
  });
});
