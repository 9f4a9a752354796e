import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import packet, { type Answer, type Question } from 'dns-packet';

/**
 * A small authoritative DNS server for tests: one zone in memory, changeable while it runs, served on
 * 127.0.0.1 over UDP and TCP on the same port, so `MAILWERK_DNS` (or `DnsResolver`) can point at it and
 * MX, SPF, DKIM, DMARC, DNSBL and reverse lookups see exactly what a test put there.
 */

/** The record data `set` takes, per type. */
export interface RecordData {
  A: string;
  AAAA: string;
  MX: { exchange: string; priority: number };
  /** One TXT record; split into 255-byte character-strings on the wire, as long DKIM keys need. */
  TXT: string;
  PTR: string;
  CNAME: string;
  TLSA: { usage: number; selector: number; matchingType: number; certificate: Buffer };
}
export type RecordType = keyof RecordData;
export type ZoneRecords = Record<string, { [T in RecordType]?: RecordData[T][] }>;
export type FailureRcode = 'SERVFAIL' | 'REFUSED';

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, the form `Resolver.setServers` and `MAILWERK_DNS` take. */
  address: string;
  port: number;
  /** Replace the records of one name and type; an empty list removes them. */
  set<T extends RecordType>(name: string, type: T, records: RecordData[T][]): void;
  /** Remove one type of a name, or the whole name. */
  remove(name: string, type?: RecordType): void;
  /** Answer every query for `name` with this rcode until called again with null. */
  failWith(name: string, rcode: FailureRcode | null): void;
  /**
   * Mark `name` and every name below it as DNSSEC-signed (true) or not (false), the closest marked name
   * deciding, as with a signed zone and an unsigned delegation inside it. Answers for signed names,
   * NXDOMAIN and NODATA included, then carry the AD flag when the query set DO (or AD, RFC 6840 5.7), as a
   * validating resolver's would. No RRSIGs are served: DANE lookups trust the resolver's AD bit.
   */
  setSigned(name: string, signed: boolean): void;
  /** Every question asked, in order (names lower-cased without the trailing dot). */
  queries: Array<{ name: string; type: string; transport: 'udp' | 'tcp' }>;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const normalize = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** Record data in dns-packet's shape. TTL 0: tests change records, and no cache anywhere may keep an old answer. */
function toAnswer<T extends RecordType>(type: T, record: RecordData[T]): Answer {
  const r = record as RecordData[RecordType];
  switch (type) {
    case 'MX': {
      const mx = r as RecordData['MX'];
      return { type: 'MX', name: '', ttl: 0, data: { exchange: mx.exchange, preference: mx.priority } };
    }
    case 'TXT': {
      // dns-packet writes each string's length into one byte without checking, so split here.
      const bytes = Buffer.from(r as string);
      const strings: Buffer[] = [];
      for (let i = 0; i < bytes.length || strings.length === 0; i += 255) strings.push(bytes.subarray(i, i + 255));
      return { type: 'TXT', name: '', ttl: 0, data: strings };
    }
    case 'TLSA':
      return { type: 'TLSA', name: '', ttl: 0, data: r as RecordData['TLSA'] };
    default:
      return { type: type as 'A' | 'AAAA' | 'PTR' | 'CNAME', name: '', ttl: 0, data: r as string };
  }
}

export interface DnsServerOptions {
  /** Names (with everything below them) to start out DNSSEC-signed, as `setSigned(name, true)` marks them. */
  signed?: string[];
}

export async function startDnsServer(zone: ZoneRecords = {}, options: DnsServerOptions = {}): Promise<TestDnsServer> {
  /** name → type → answers (owner name filled in when answering). */
  const records = new Map<string, Map<string, Answer[]>>();
  const failures = new Map<string, FailureRcode>();
  /** Marked names → signed or not; the longest marked suffix of a name decides. */
  const signing = new Map<string, boolean>();
  const queries: TestDnsServer['queries'] = [];

  // A name with no records of its own but names below it (`_domainkey.example.com`) exists too: NODATA.
  const exists = (name: string) => [...records.keys()].some((n) => n === name || n.endsWith(`.${name}`));

  const isSigned = (name: string) => {
    for (let suffix = name; ; suffix = suffix.slice(suffix.indexOf('.') + 1)) {
      const marked = signing.get(suffix);
      if (marked !== undefined) return marked;
      if (!suffix.includes('.')) return signing.get('') ?? false;
    }
  };

  /**
   * Answers for one question, following CNAMEs inside the zone (with a guard against loops). `signed`: every
   * name the answer rests on is signed, so a validating resolver would call it secure.
   */
  function lookup(question: Question): { rcode: number; answers: Answer[]; signed: boolean } {
    let name = normalize(question.name);
    const failure = failures.get(name);
    if (failure) return { rcode: RCODE[failure], answers: [], signed: false };
    const answers: Answer[] = [];
    let owner = question.name; // the first answer repeats the question's spelling
    let signed = true;
    for (const seen = new Set<string>(); !seen.has(name); ) {
      seen.add(name);
      signed &&= isSigned(name);
      const rrsets = records.get(name);
      const found = rrsets?.get(question.type);
      if (found) return { rcode: RCODE.NOERROR, answers: [...answers, ...found.map((a) => ({ ...a, name: owner }))], signed };
      const cname = rrsets?.get('CNAME')?.[0];
      if (!cname) return { rcode: exists(name) ? RCODE.NOERROR : RCODE.NXDOMAIN, answers, signed };
      answers.push({ ...cname, name: owner });
      owner = (cname as packet.StringAnswer).data;
      name = normalize(owner);
    }
    return { rcode: RCODE.NOERROR, answers, signed };
  }

  /** The reply to one query message, or undefined for anything that is not a well-formed query. */
  function respond(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(message);
    } catch {
      return undefined; // garbage is dropped, as real servers do; the test server must survive fuzzing
    }
    const question = query.questions?.[0];
    if (query.type !== 'query' || !question) return undefined;
    queries.push({ name: normalize(question.name), type: question.type, transport });
    const { rcode, answers, signed } = lookup(question);
    const opt = queryOpt(query);
    // A validating resolver sets AD only for clients that asked for DNSSEC: DO in EDNS, or AD itself (RFC 6840 5.7).
    const wantsAd = (opt !== undefined && (opt.flags & packet.DNSSEC_OK) !== 0) || ((query.flags ?? 0) & packet.AUTHENTIC_DATA) !== 0;
    const flags =
      packet.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & packet.RECURSION_DESIRED) | (signed && wantsAd ? packet.AUTHENTIC_DATA : 0) | rcode;
    // An EDNS query gets an OPT record back (RFC 6891 7), echoing DO; a plain query gets none, as before.
    const additionals: Answer[] = opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: opt.flags & packet.DNSSEC_OK, flag_do: opt.flag_do, options: [] }] : [];
    const reply = { id: query.id, type: 'response' as const, flags, questions: [question], answers, additionals };
    const encoded = packet.encode(reply);
    if (encoded.length <= (transport === 'tcp' ? 0xffff : udpLimit(query))) return encoded;
    // Too big for this transport: an empty answer with TC set tells the client to ask again over TCP.
    return packet.encode({ ...reply, flags: flags | packet.TRUNCATED_RESPONSE, answers: [] });
  }

  /** The query's EDNS OPT record, if it has one. */
  function queryOpt(query: packet.DecodedPacket): packet.OptAnswer | undefined {
    return query.additionals?.find((a): a is packet.OptAnswer => a.type === 'OPT');
  }

  /** The largest UDP reply the client accepts: 512 bytes, or more if its EDNS OPT record says so. */
  function udpLimit(query: packet.DecodedPacket): number {
    return Math.max(512, queryOpt(query)?.udpPayloadSize ?? 0);
  }

  const sockets = new Set<Socket>();
  const onTcpConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // TCP messages carry a 2-byte length prefix (RFC 1035 4.2.2); one connection may carry several.
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const end = 2 + pending.readUInt16BE(0);
        const reply = respond(pending.subarray(2, end), 'tcp');
        pending = pending.subarray(end);
        if (reply) socket.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
      }
    });
  };

  // UDP takes a free port first; TCP then binds the same number, and if another process holds it, start over.
  for (let attempt = 1; ; attempt++) {
    const udp = createSocket('udp4');
    udp.on('message', (message, from) => {
      const reply = respond(message, 'udp');
      if (reply) udp.send(reply, from.port, from.address, () => {}); // a send error only loses one reply
    });
    await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const tcp = createServer(onTcpConnection);
    try {
      await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, '127.0.0.1', resolve));
    } catch (error) {
      udp.close();
      if (attempt === 20) throw error;
      continue;
    }

    const server: TestDnsServer = {
      address: `127.0.0.1:${port}`,
      port,
      queries,
      set(name, type, list) {
        const key = normalize(name);
        const rrsets = records.get(key) ?? new Map<string, Answer[]>();
        if (list.length) rrsets.set(type, list.map((r) => toAnswer(type, r)));
        else rrsets.delete(type);
        if (rrsets.size) records.set(key, rrsets);
        else records.delete(key);
      },
      remove(name, type) {
        if (type) server.set(name, type, []);
        else records.delete(normalize(name));
      },
      failWith(name, rcode) {
        if (rcode) failures.set(normalize(name), rcode);
        else failures.delete(normalize(name));
      },
      setSigned(name, signed) {
        signing.set(normalize(name), signed);
      },
      async close() {
        for (const socket of sockets) socket.destroy();
        await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise((resolve) => tcp.close(resolve))]);
      },
    };
    for (const [name, types] of Object.entries(zone)) {
      for (const [type, list] of Object.entries(types)) server.set(name, type as RecordType, list as RecordData[RecordType][]);
    }
    for (const name of options.signed ?? []) server.setSigned(name, true);
    return server;
  }
}
