/**
 * Self-check of the benchmark's raw IMAP client against a scripted fake server on 127.0.0.1, plain and TLS.
 * It checks what the measurements rely on: literals are skipped by length even when their content looks like
 * a tagged completion or another response, responses split into tiny TCP chunks at awkward places parse the
 * same, "{n}" at the end of a status response is not a literal, both literal forms of APPEND deliver the
 * exact bytes, and IDLE/DONE works.
 *
 *   npx tsx bench/imap/selftest.ts
 */
import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { ImapConnection, parseSearch } from './client.ts';

interface FakeOptions {
  literalPlus: boolean;
}

const received: Buffer[] = [];

/** Writes `data` in chunks of 1..7 bytes, each in its own event-loop turn. */
async function dribble(sock: net.Socket, data: string): Promise<void> {
  const buf = Buffer.from(data, 'latin1');
  let i = 0;
  let n = 1;
  while (i < buf.length) {
    const size = 1 + (n++ % 7);
    sock.write(buf.subarray(i, i + size));
    i += size;
    await new Promise((r) => setTimeout(r, 0));
  }
}

function handle(sock: net.Socket, opts: FakeOptions): void {
  let buf = Buffer.alloc(0);
  let literalNeed = -1;
  let appendTag = '';
  let idleTag = '';
  const caps = `IMAP4rev1 IDLE${opts.literalPlus ? ' LITERAL+' : ''}`;
  sock.write(`* OK [CAPABILITY ${caps}] fake ready\r\n`);

  const onLine = async (line: string): Promise<void> => {
    if (idleTag && line === 'DONE') {
      sock.write(`${idleTag} OK idle done\r\n`);
      idleTag = '';
      return;
    }
    const m = /^(\S+) (\S+)(?: (.*))?$/.exec(line);
    if (!m) return;
    const [, tag, cmdRaw, rest = ''] = m;
    const cmd = (cmdRaw as string).toUpperCase();
    switch (cmd) {
      case 'LOGIN':
        sock.write(`${tag} OK logged in\r\n`);
        break;
      case 'CAPABILITY':
        sock.write(`* CAPABILITY ${caps}\r\n${tag} OK done\r\n`);
        break;
      case 'FETCH':
      case 'UID': {
        const trap = `From: x\r\n${tag} OK fake completion inside a literal\r\n* 9 FETCH (trap)\r\n`;
        const subject = 'subject with {3}\r\nand a brace';
        await dribble(
          sock,
          `* 1 FETCH (UID 1 BODY[] {${trap.length}}\r\n${trap})\r\n` +
            `* 2 FETCH (UID 2 ENVELOPE ("date" {${subject.length}}\r\n${subject} NIL))\r\n` +
            `* 3 FETCH (UID 3 FLAGS (\\Seen))\r\n` +
            `${tag} OK fetch done {5}\r\n`,
        );
        break;
      }
      case 'SEARCH':
        await dribble(sock, `* SEARCH 2 3 5 8\r\n${tag} OK search done\r\n`);
        break;
      case 'IDLE':
        idleTag = tag as string;
        sock.write('+ idling\r\n');
        break;
      case 'LOGOUT':
        sock.write(`* BYE bye\r\n${tag} OK logout\r\n`);
        sock.end();
        break;
      default:
        sock.write(`${tag} BAD unknown\r\n`);
    }
  };

  let chain = Promise.resolve();
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (literalNeed >= 0) {
        if (buf.length < literalNeed + 2) return;
        received.push(buf.subarray(0, literalNeed));
        buf = buf.subarray(literalNeed + 2); // literal + CRLF ending the command
        literalNeed = -1;
        sock.write(`${appendTag} OK [APPENDUID 1 ${received.length}] append done\r\n`);
        continue;
      }
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = buf.subarray(0, nl).toString('latin1');
      buf = buf.subarray(nl + 2);
      const lit = /^(\S+) APPEND .*\{(\d+)(\+?)\}$/i.exec(line);
      if (lit) {
        // The message literal follows: read it by length before any further line.
        appendTag = lit[1] as string;
        literalNeed = Number(lit[2]);
        if (lit[3] !== '+') sock.write('+ Ready for literal data\r\n');
        continue;
      }
      chain = chain.then(() => onLine(line));
    }
  });
  sock.on('error', () => undefined);
}

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : `: ${detail}`}`);
}

async function exercise(label: string, port: number, useTls: boolean, literalPlus: boolean): Promise<void> {
  const c = await ImapConnection.connect({ host: '127.0.0.1', port, tls: useTls, commandTimeoutMs: 5000 });
  check(`${label}: greeting`, c.greeting.includes('fake ready'), c.greeting);
  await c.login('bench', 'pa"ss\\word');
  check(`${label}: LITERAL+ detected = ${literalPlus}`, c.hasLiteralPlus === literalPlus);

  const msg = Buffer.from('Subject: test\r\n\r\nB99 OK not a completion\r\n* 1 EXISTS\r\nbody {5}\r\n', 'latin1');
  const before = received.length;
  const a = await c.append('bench', msg, ['\\Seen'], '05-Mar-2024 14:03:12 +0100');
  check(`${label}: APPEND ok`, a.status === 'OK', `${a.status} ${a.text}`);
  check(`${label}: APPEND bytes delivered exactly`, received.length === before + 1 && Buffer.compare(received[before] as Buffer, msg) === 0);

  const f = await c.command('UID FETCH 1:* (UID FLAGS ENVELOPE)');
  check(`${label}: FETCH completes with its own tag`, f.status === 'OK' && f.text === 'fetch done {5}', `${f.status} ${f.text}`);
  check(`${label}: FETCH responses counted through literals`, f.untagged['FETCH'] === 3, JSON.stringify(f.untagged));
  check(`${label}: logical lines`, f.lines === 4, String(f.lines));
  const trapLen = `From: x\r\n${f.tag} OK fake completion inside a literal\r\n* 9 FETCH (trap)\r\n`.length;
  check(`${label}: literal bytes`, f.literalBytes === trapLen + 'subject with {3}\r\nand a brace'.length, String(f.literalBytes));

  const s = await c.command('SEARCH TEXT x', { collect: ['SEARCH'] });
  check(`${label}: SEARCH hits`, parseSearch(s.collected).join(',') === '2,3,5,8', s.collected.join('|'));

  const idle = await c.idle(2000);
  c.done();
  const r = await idle.completion;
  check(`${label}: IDLE/DONE`, r.status === 'OK' && r.text === 'idle done', `${r.status} ${r.text}`);
  await c.logout();
  check(`${label}: LOGOUT closes`, c.closed);
}

async function main(): Promise<void> {
  const plain = net.createServer((s) => handle(s, { literalPlus: false }));
  const plainPlus = net.createServer((s) => handle(s, { literalPlus: true }));
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 });
  const secure = tls.createServer({ key: pems.private, cert: pems.cert }, (s) => handle(s, { literalPlus: true }));
  const listen = (srv: net.Server): Promise<number> =>
    new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
  const [p1, p2, p3] = await Promise.all([listen(plain), listen(plainPlus), listen(secure)]);
  const guard = setTimeout(() => {
    console.log('FAIL self-test timed out');
    process.exit(1);
  }, 30_000);
  try {
    await exercise('plain, sync literal', p1 as number, false, false);
    await exercise('plain, LITERAL+', p2 as number, false, true);
    await exercise('TLS, LITERAL+', p3 as number, true, true);
  } catch (err) {
    failed++;
    console.log(`FAIL ${(err as Error).message}`);
  } finally {
    clearTimeout(guard);
    plain.close();
    plainPlus.close();
    secure.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
