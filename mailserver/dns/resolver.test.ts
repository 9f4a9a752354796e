import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import packet from 'dns-packet';
import { startDnsServer, type TestDnsServer } from '../../e2e/dns-server.ts';
import { DnsError, DnsResolver } from './resolver.ts';

/** A DKIM-like TXT value of 1,000 bytes: four character-strings on the wire, and too big for a 512-byte UDP reply. */
const LONG_TXT = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A'.repeat(40)}`.slice(0, 1000);

const failsWith = (failure: string, code: string) => (error: unknown) => error instanceof DnsError && error.failure === failure && error.code === code;

describe('DnsResolver against the test DNS server', () => {
  let dns: TestDnsServer;
  let resolver: DnsResolver;
  const asked = (name: string, type: string) => dns.queries.filter((q) => q.name === name && q.type === type);

  before(async () => {
    dns = await startDnsServer({
      'example.test': {
        MX: [
          { exchange: 'mx2.example.test', priority: 20 },
          { exchange: 'mx1.example.test', priority: 10 },
        ],
        TXT: ['v=spf1 mx -all'],
      },
      'mx1.example.test': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
      'mx2.example.test.': { A: ['192.0.2.20'] }, // trailing dot: the same name
      'www.example.test': { CNAME: ['mx1.example.test'] },
      'sel._domainkey.example.test': { TXT: [LONG_TXT] },
      '10.2.0.192.in-addr.arpa': { PTR: ['mx1.example.test'] },
    });
    resolver = new DnsResolver(dns.address, 2000);
  });
  after(() => dns.close());

  it('resolves MX, A and AAAA, case-insensitively, and the server saw each question', async () => {
    const mx = await resolver.mx('Example.TEST.');
    assert.deepEqual(
      mx.sort((a, b) => a.priority - b.priority),
      [
        { exchange: 'mx1.example.test', priority: 10 },
        { exchange: 'mx2.example.test', priority: 20 },
      ],
    );
    assert.deepEqual(await resolver.a('mx1.example.test'), ['192.0.2.10']);
    assert.deepEqual(await resolver.aaaa('mx1.example.test'), ['2001:db8::10']);
    assert.deepEqual(await resolver.a('MX2.example.test'), ['192.0.2.20']);
    assert.equal(asked('example.test', 'MX').length, 1);
    assert.equal(asked('mx1.example.test', 'AAAA').length, 1);
  });

  it('follows a CNAME inside the zone', async () => {
    assert.deepEqual(await resolver.a('www.example.test'), ['192.0.2.10']);
  });

  it('addresses() lists IPv4 first, is empty for a missing host, and fails TEMPORARY when DNS does', async () => {
    assert.deepEqual(await resolver.addresses('mx1.example.test'), ['192.0.2.10', '2001:db8::10']);
    assert.deepEqual(await resolver.addresses('mx2.example.test'), ['192.0.2.20']); // AAAA is NODATA
    assert.deepEqual(await resolver.addresses('nowhere.example.test'), []);
    dns.failWith('mx1.example.test', 'SERVFAIL');
    try {
      await assert.rejects(resolver.addresses('mx1.example.test'), failsWith('TEMPORARY', 'ESERVFAIL'));
    } finally {
      dns.failWith('mx1.example.test', null);
    }
  });

  it('reads a 1,000-byte TXT record, joined, after retrying over TCP', async () => {
    assert.deepEqual(await resolver.txt('sel._domainkey.example.test'), [LONG_TXT]);
    // The UDP reply was truncated, so the same question came again over TCP.
    assert.deepEqual(
      asked('sel._domainkey.example.test', 'TXT').map((q) => q.transport),
      ['udp', 'tcp'],
    );
  });

  it('resolve(name, "TXT") keeps the character-strings apart and Node error codes', async () => {
    const records = (await resolver.resolve('sel._domainkey.example.test', 'TXT')) as string[][];
    assert.deepEqual(records[0]?.map((s) => s.length), [255, 255, 255, 235]);
    assert.equal(records[0]?.join(''), LONG_TXT);
    assert.deepEqual(await resolver.resolve('example.test', 'TXT'), [['v=spf1 mx -all']]);
    await assert.rejects(resolver.resolve('nowhere.example.test', 'TXT'), { code: 'ENOTFOUND' });
  });

  it('resolves PTR from an address', async () => {
    assert.deepEqual(await resolver.ptr('192.0.2.10'), ['mx1.example.test']);
    assert.equal(asked('10.2.0.192.in-addr.arpa', 'PTR').length, 1);
  });

  it('reports NXDOMAIN and NODATA as NOT_FOUND', async () => {
    await assert.rejects(resolver.a('nowhere.example.test'), failsWith('NOT_FOUND', 'ENOTFOUND'));
    await assert.rejects(resolver.aaaa('mx2.example.test'), failsWith('NOT_FOUND', 'ENODATA'));
    // A name with only names below it exists: NODATA, not NXDOMAIN.
    await assert.rejects(resolver.txt('_domainkey.example.test'), failsWith('NOT_FOUND', 'ENODATA'));
  });

  it('reports SERVFAIL and REFUSED as TEMPORARY', async () => {
    dns.failWith('example.test', 'SERVFAIL');
    await assert.rejects(resolver.mx('example.test'), failsWith('TEMPORARY', 'ESERVFAIL'));
    dns.failWith('example.test', 'REFUSED');
    await assert.rejects(resolver.mx('example.test'), failsWith('TEMPORARY', 'EREFUSED'));
    dns.failWith('example.test', null);
    assert.equal((await resolver.mx('example.test')).length, 2);
  });

  it('sees records changed while the server runs (nothing is cached)', async () => {
    dns.set('mx2.example.test', 'A', ['192.0.2.21', '192.0.2.22']);
    assert.deepEqual((await resolver.a('mx2.example.test')).sort(), ['192.0.2.21', '192.0.2.22']);
    dns.remove('mx2.example.test', 'A');
    await assert.rejects(resolver.a('mx2.example.test'), failsWith('NOT_FOUND', 'ENOTFOUND'));
    dns.set('mx2.example.test', 'A', ['192.0.2.20']);
  });
});

describe('test DNS server', () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer({ '_25._tcp.mx1.example.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 0xab) }] } });
  });
  after(() => dns.close());

  async function udpQuery(message: Buffer): Promise<packet.DecodedPacket> {
    const socket = createSocket('udp4');
    try {
      socket.send(message, dns.port, '127.0.0.1');
      const [reply] = (await once(socket, 'message')) as [Buffer];
      return packet.decode(reply);
    } finally {
      socket.close();
    }
  }
  const query = (name: string, type: packet.RecordType) => packet.encode({ type: 'query', id: 7, questions: [{ name, type }] });

  it('serves TLSA records with the AA flag', async () => {
    const reply = await udpQuery(query('_25._tcp.mx1.example.test', 'TLSA'));
    assert.equal(reply.flag_aa, true);
    assert.equal(reply.id, 7);
    assert.deepEqual(reply.answers?.[0], {
      type: 'TLSA',
      name: '_25._tcp.mx1.example.test',
      class: 'IN',
      flush: false,
      ttl: 0,
      data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 0xab) },
    });
  });

  it('ends a CNAME loop instead of following it forever', async () => {
    dns.set('a.loop.test', 'CNAME', ['b.loop.test']);
    dns.set('b.loop.test', 'CNAME', ['A.loop.test.']);
    const reply = await udpQuery(query('a.loop.test', 'A'));
    assert.equal((reply.flags ?? 0) & 0xf, 0); // NOERROR (@types/dns-packet lacks the decoded rcode)
    assert.deepEqual(reply.answers?.map((a) => a.type), ['CNAME', 'CNAME']);
  });

  it('ignores malformed packets on UDP and TCP and keeps answering', async () => {
    const udp = createSocket('udp4');
    for (const junk of [Buffer.alloc(0), Buffer.from('not dns'), Buffer.from('00010000ffff000000000000', 'hex')]) udp.send(junk, dns.port, '127.0.0.1');
    udp.send(packet.encode({ type: 'response', id: 1, questions: [{ name: 'x.test', type: 'A' }] }), dns.port, '127.0.0.1');
    const tcp = connect(dns.port, '127.0.0.1');
    await once(tcp, 'connect');
    tcp.end(Buffer.concat([Buffer.from([0, 7]), Buffer.from('not dns'), Buffer.from([0, 16]), Buffer.from('half')]));
    await once(tcp, 'close');
    udp.close();

    const reply = await udpQuery(query('_25._tcp.mx1.example.test', 'TLSA'));
    assert.equal(reply.answers?.length, 1);
    assert.deepEqual(dns.queries.map((q) => q.type), ['TLSA', 'A', 'TLSA']); // the junk was never taken for a question
  });
});
