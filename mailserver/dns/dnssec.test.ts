import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import packet from 'dns-packet';
import { startDnsServer, type TestDnsServer } from '../../e2e/dns-server.ts';
import { lookupTlsa, parseServer, type TlsaRecord } from './dnssec.ts';
import { DnsError } from './resolver.ts';

const record = (fill: number, overrides: Partial<TlsaRecord> = {}): TlsaRecord => ({ usage: 3, selector: 1, matchingType: 1, data: Buffer.alloc(32, fill), ...overrides });
/** The test server's form of a record. */
const served = (r: TlsaRecord) => ({ usage: r.usage, selector: r.selector, matchingType: r.matchingType, certificate: r.data });

const temporary = (code: string) => (error: unknown) => error instanceof DnsError && error.failure === 'TEMPORARY' && error.code === code;

describe('lookupTlsa against the test DNS server', () => {
  let dns: TestDnsServer;
  const asked = (name: string) => dns.queries.filter((q) => q.name === name && q.type === 'TLSA').map((q) => q.transport);

  const SIGNED = '_25._tcp.mx.signed.test';
  const UNSIGNED = '_25._tcp.mx.plain.test';
  const records = [record(0xab), record(0xcd, { usage: 2, selector: 0, matchingType: 2, data: Buffer.alloc(64, 0xcd) }), record(1, { matchingType: 0, data: Buffer.from('full SPKI bytes') })];

  before(async () => {
    dns = await startDnsServer(
      {
        [SIGNED]: { TLSA: records.map(served) },
        [UNSIGNED]: { TLSA: [served(record(0xef))] },
        'mx.signed.test': { A: ['192.0.2.1'] },
        // An unsigned delegation inside the signed zone.
        '_25._tcp.mx.island.signed.test': { TLSA: [served(record(0x11))] },
        // A CNAME to the TLSA records of another name (RFC 7672 2.2.3).
        '_25._tcp.alias.signed.test': { CNAME: ['_25._tcp.mx.signed.test'] },
        '_25._tcp.alias.plain.test': { CNAME: ['_25._tcp.mx.signed.test'] },
      },
      { signed: ['signed.test'] },
    );
    dns.setSigned('island.signed.test', false);
  });
  after(() => dns.close());

  it('returns the TLSA records of a signed name, authenticated, as they were served', async () => {
    const result = await lookupTlsa(SIGNED, dns.address, 2000);
    assert.equal(result.authenticated, true);
    assert.deepEqual(result.records, records);
    assert.deepEqual(asked(SIGNED), ['udp']);
  });

  it('reports the records of an unsigned name as not authenticated', async () => {
    assert.deepEqual(await lookupTlsa(UNSIGNED, dns.address, 2000), { authenticated: false, records: [record(0xef)] });
  });

  it('an unsigned delegation below a signed name is not authenticated; signing can change while the server runs', async () => {
    assert.equal((await lookupTlsa('_25._tcp.mx.island.signed.test', dns.address, 2000)).authenticated, false);
    dns.setSigned('island.signed.test', true);
    try {
      assert.equal((await lookupTlsa('_25._tcp.mx.island.signed.test', dns.address, 2000)).authenticated, true);
    } finally {
      dns.setSigned('island.signed.test', false);
    }
  });

  it('NXDOMAIN and NODATA give no records, authenticated when the zone is signed', async () => {
    assert.deepEqual(await lookupTlsa('_25._tcp.nowhere.signed.test', dns.address, 2000), { authenticated: true, records: [] });
    assert.deepEqual(await lookupTlsa('_25._tcp.nowhere.plain.test', dns.address, 2000), { authenticated: false, records: [] });
    // mx.signed.test exists (A) but has no TLSA of its own: NODATA.
    assert.deepEqual(await lookupTlsa('mx.signed.test', dns.address, 2000), { authenticated: true, records: [] });
  });

  it('follows a CNAME in the answer; the chain is authenticated only when every link is signed', async () => {
    assert.deepEqual(await lookupTlsa('_25._tcp.alias.signed.test', dns.address, 2000), { authenticated: true, records });
    assert.deepEqual(await lookupTlsa('_25._tcp.alias.plain.test', dns.address, 2000), { authenticated: false, records });
  });

  it('is case-insensitive and takes a trailing dot', async () => {
    assert.deepEqual((await lookupTlsa('_25._TCP.MX.Signed.Test.', dns.address, 2000)).records, records);
  });

  it('SERVFAIL and REFUSED are TEMPORARY failures', async () => {
    dns.failWith(SIGNED, 'SERVFAIL');
    try {
      await assert.rejects(lookupTlsa(SIGNED, dns.address, 2000), temporary('ESERVFAIL'));
      dns.failWith(SIGNED, 'REFUSED');
      await assert.rejects(lookupTlsa(SIGNED, dns.address, 2000), temporary('EREFUSED'));
    } finally {
      dns.failWith(SIGNED, null);
    }
  });

  it('retries a truncated answer over TCP', async () => {
    // 40 SHA-512 records: about 3,500 bytes, beyond the 1,232 bytes advertised for UDP.
    const many = Array.from({ length: 40 }, (_, i) => record(i, { matchingType: 2, data: Buffer.alloc(64, i) }));
    dns.set('_25._tcp.big.signed.test', 'TLSA', many.map(served));
    const result = await lookupTlsa('_25._tcp.big.signed.test', dns.address, 2000);
    assert.deepEqual(result, { authenticated: true, records: many });
    assert.deepEqual(asked('_25._tcp.big.signed.test'), ['udp', 'tcp']);
  });

  it('uses the AD flag only for clients asking with DO (plain queries, as from Node, never see it)', async () => {
    const socket = createSocket('udp4');
    try {
      socket.send(packet.encode({ type: 'query', id: 9, flags: packet.RECURSION_DESIRED, questions: [{ name: SIGNED, type: 'TLSA' }] }), dns.port, '127.0.0.1');
      const [reply] = (await once(socket, 'message')) as [Buffer];
      const decoded = packet.decode(reply);
      assert.equal(decoded.flag_ad, false);
      assert.equal(decoded.additionals?.length ?? 0, 0); // and no OPT record back for a query without one
      assert.equal(decoded.answers?.length, records.length);
    } finally {
      socket.close();
    }
  });
});

describe('lookupTlsa against a misbehaving server', () => {
  let socket: Socket;
  let address: string;
  /** How the fake server answers each query it receives. */
  let behave: (query: packet.DecodedPacket, reply: (message: Buffer) => void) => void = () => {};

  before(async () => {
    socket = createSocket('udp4');
    socket.on('message', (message, from) => {
      behave(packet.decode(message), (out) => socket.send(out, from.port, from.address));
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${socket.address().port}`;
  });
  after(() => new Promise<void>((resolve) => socket.close(() => resolve())));

  const answer = (query: packet.DecodedPacket, overrides: Partial<packet.Packet> = {}) =>
    packet.encode({
      id: query.id,
      type: 'response',
      flags: packet.AUTHENTIC_DATA,
      questions: query.questions,
      answers: [{ type: 'TLSA', name: query.questions?.[0]?.name ?? '', ttl: 60, data: served(record(0x42)) }],
      ...overrides,
    });

  it('asks with a random id, RD, and EDNS0 with DO', async () => {
    const seen: packet.DecodedPacket[] = [];
    behave = (query, reply) => {
      seen.push(query);
      reply(answer(query));
    };
    await lookupTlsa('_25._tcp.mx.example.test', address, 2000);
    await lookupTlsa('_25._tcp.mx.example.test', address, 2000);
    const [first, second] = seen;
    assert.ok(first && second);
    assert.notEqual(first.id, second.id); // 1 in 65,536 to fail by chance
    assert.equal(first.flag_rd, true);
    const opt = first.additionals?.find((a) => a.type === 'OPT');
    assert.ok(opt && opt.type === 'OPT');
    assert.equal(opt.flag_do, true);
    assert.ok(opt.udpPayloadSize >= 1232);
    assert.deepEqual(first.questions, [{ name: '_25._tcp.mx.example.test', type: 'TLSA', class: 'IN' }]);
  });

  it('ignores replies with the wrong id or question and takes the genuine one that follows', async () => {
    behave = (query, reply) => {
      reply(answer(query, { id: (query.id ?? 0) ^ 1, answers: [] }));
      reply(answer(query, { questions: [{ name: 'other.example.test', type: 'TLSA' }], answers: [] }));
      reply(answer(query, { questions: [{ name: query.questions?.[0]?.name ?? '', type: 'A' }], answers: [] }));
      reply(Buffer.from('garbage'));
      reply(answer(query));
    };
    assert.deepEqual(await lookupTlsa('_25._tcp.mx.example.test', address, 2000), { authenticated: true, records: [record(0x42)] });
  });

  it('times out as TEMPORARY when only spoofed replies come, after asking twice', async () => {
    let asked = 0;
    behave = (query, reply) => {
      asked++;
      reply(answer(query, { id: (query.id ?? 0) ^ 0x8000 }));
    };
    const started = Date.now();
    await assert.rejects(lookupTlsa('_25._tcp.mx.example.test', address, 400), temporary('ETIMEOUT'));
    assert.ok(Date.now() - started >= 350);
    assert.equal(asked, 2);
  });

  it('keeps only TLSA records owned by the name asked or its CNAME chain', async () => {
    behave = (query, reply) => {
      const name = query.questions?.[0]?.name ?? '';
      reply(
        answer(query, {
          answers: [
            { type: 'CNAME', name, ttl: 60, data: 'target.example.test' },
            { type: 'CNAME', name: 'unrelated.example.test', ttl: 60, data: 'elsewhere.example.test' },
            { type: 'TLSA', name: 'Target.example.test', ttl: 60, data: served(record(1)) },
            { type: 'TLSA', name: 'elsewhere.example.test', ttl: 60, data: served(record(2)) },
            { type: 'A', name: 'target.example.test', ttl: 60, data: '192.0.2.1' },
          ],
        }),
      );
    };
    assert.deepEqual(await lookupTlsa('_25._tcp.mx.example.test', address, 2000), { authenticated: true, records: [record(1)] });
  });

  it('a reply without AD is not authenticated', async () => {
    behave = (query, reply) => reply(answer(query, { flags: 0 }));
    assert.equal((await lookupTlsa('_25._tcp.mx.example.test', address, 2000)).authenticated, false);
  });
});

describe('lookupTlsa server addresses', () => {
  it('parses ip, ip:port, [ipv6]:port and bare IPv6', () => {
    assert.deepEqual(parseServer('192.0.2.1'), { host: '192.0.2.1', port: 53 });
    assert.deepEqual(parseServer('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
    assert.deepEqual(parseServer('[::1]:5353'), { host: '::1', port: 5353 });
    assert.deepEqual(parseServer('[2001:db8::1]'), { host: '2001:db8::1', port: 53 });
    assert.deepEqual(parseServer('2001:db8::1'), { host: '2001:db8::1', port: 53 });
    for (const bad of ['dns.example.test:53', '127.0.0.1:0', '127.0.0.1:70000', '[::1]:x', '']) {
      assert.throws(() => parseServer(bad), (error: unknown) => error instanceof DnsError && error.failure === 'TEMPORARY', bad);
    }
  });

  it('fails TEMPORARY when nothing answers', async () => {
    // A bound UDP socket that never replies: the lookup gives up at the deadline.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      await assert.rejects(lookupTlsa('_25._tcp.mx.example.test', `127.0.0.1:${silent.address().port}`, 200), temporary('ETIMEOUT'));
    } finally {
      silent.close();
    }
  });
});
