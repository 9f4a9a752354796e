import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { getServers } from 'node:dns';
import { isIP, connect as tcpConnect } from 'node:net';
import packet from 'dns-packet';
import { DnsError } from './resolver.ts';

/**
 * TLSA lookups with the DNSSEC status of the answer, for DANE (RFC 7672). Node's resolver has no TLSA and
 * does not expose the AD ("authenticated data") bit, so the query is built and sent here with dns-packet:
 * UDP first, TCP when the reply is truncated, EDNS0 with the DO bit set.
 *
 * Trust model, as Postfix's: we do not validate DNSSEC signatures ourselves. We trust the AD bit of the
 * configured resolver (`MAILWERK_DNS`, else the system's first), which must therefore be a validating
 * resolver reached over a trusted path (loopback, or a local network under our control). An AD bit from a
 * resolver that does not validate, or that an attacker can reach the path to, means nothing.
 */

/** One TLSA record (RFC 6698 2.1): certificate usage, selector, matching type and association data. */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

export interface TlsaLookup {
  /** The resolver set AD: the answer (records, NXDOMAIN or NODATA alike) is DNSSEC-validated ("secure"). */
  authenticated: boolean;
  /** The TLSA records; empty for NXDOMAIN and NODATA. */
  records: TlsaRecord[];
}

/** The UDP payload size we advertise: the DNS flag day 2020 value, safe from IP fragmentation. */
const UDP_PAYLOAD_SIZE = 1232;
const DEFAULT_PORT = 53;
const RCODE = { NOERROR: 0, NXDOMAIN: 3 } as const;
const RCODE_NAMES: Record<number, string> = { 1: 'EFORMERR', 2: 'ESERVFAIL', 4: 'ENOTIMP', 5: 'EREFUSED' };

const normalize = (name: string) => name.toLowerCase().replace(/\.$/, '');

interface Endpoint {
  host: string;
  port: number;
}

/**
 * `ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address (the forms `MAILWERK_DNS` and `dns.getServers()` use).
 * Exported for tests.
 */
export function parseServer(server: string): Endpoint {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracketed) return checked(bracketed[1] ?? '', bracketed[2], server);
  if (isIP(server) === 6) return checked(server, undefined, server);
  const colon = server.lastIndexOf(':');
  return colon === -1 ? checked(server, undefined, server) : checked(server.slice(0, colon), server.slice(colon + 1), server);
}

function checked(host: string, port: string | undefined, server: string): Endpoint {
  const number = port === undefined ? DEFAULT_PORT : Number(port);
  if (!isIP(host) || !Number.isInteger(number) || number < 1 || number > 0xffff) {
    throw new DnsError('TEMPORARY', 'EBADSERVER', `DNS server "${server}" is not ip, ip:port or [ipv6]:port`);
  }
  return { host, port: number };
}

/**
 * The TLSA RRset at `name` (e.g. `_25._tcp.mx.example.com`), asked of `server` (default: the system's
 * first resolver), with whether the resolver validated it. NXDOMAIN and NODATA give no records; SERVFAIL,
 * REFUSED, a timeout or a malformed reply throw `DnsError('TEMPORARY')` — for DANE a failed TLSA lookup
 * must defer delivery, never fall back to unauthenticated TLS (RFC 7672 2.2).
 *
 * A CNAME chain is followed only as far as the answer section shows it (the resolver expands it); TLSA
 * records owned by the queried name or any name on that chain are kept, every other record is ignored.
 */
export async function lookupTlsa(name: string, server: string | undefined, timeoutMs = 5000): Promise<TlsaLookup> {
  const reply = await query(name, 'TLSA', server, timeoutMs);
  const answers = reply.answers ?? [];
  // The full rcode: 4 bits in the header, 8 more in the OPT record (EDNS errors such as BADVERS).
  const opt = reply.additionals?.find((a): a is packet.OptAnswer => a.type === 'OPT');
  const rcode = ((opt?.extendedRcode ?? 0) << 4) | ((reply.flags ?? 0) & 0xf);
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) {
    const code = RCODE_NAMES[rcode] ?? `ERCODE${rcode}`;
    throw new DnsError('TEMPORARY', code, `TLSA lookup for ${name} failed: ${code}`);
  }
  // The owners the answer vouches for: the name asked, then each CNAME target in turn.
  const owners = new Set([normalize(name)]);
  for (let current = normalize(name); ; ) {
    const cname = answers.find((a): a is packet.StringAnswer => a.type === 'CNAME' && normalize(a.name) === current);
    if (!cname || owners.has(normalize(cname.data))) break;
    current = normalize(cname.data);
    owners.add(current);
  }
  const records =
    rcode === RCODE.NXDOMAIN
      ? []
      : answers
          .filter((a): a is packet.TlsaAnswer => a.type === 'TLSA' && (a.class ?? 'IN') === 'IN' && owners.has(normalize(a.name)))
          .map(({ data }) => ({ usage: data.usage, selector: data.selector, matchingType: data.matchingType, data: Buffer.from(data.certificate) }));
  return { authenticated: reply.flag_ad, records };
}

/**
 * Whether the resolver vouches (AD bit) for the answer to `name`/`type`, existing or not. DANE needs the
 * MX (or, without MX, the address) lookup to be secure too: otherwise a forged MX could bring its own TLSA.
 */
export async function answerAuthenticated(name: string, type: 'MX' | 'A' | 'AAAA', server: string | undefined, timeoutMs = 5000): Promise<boolean> {
  const reply = await query(name, type, server, timeoutMs);
  const rcode = (reply.flags ?? 0) & 0xf;
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) {
    const code = RCODE_NAMES[rcode] ?? `ERCODE${rcode}`;
    throw new DnsError('TEMPORARY', code, `${type} lookup for ${name} failed: ${code}`);
  }
  return reply.flag_ad === true;
}

/** Send one DNSSEC-OK query, over UDP and then TCP if the UDP reply was truncated; return the checked reply. */
async function query(name: string, type: packet.RecordType, server: string | undefined, timeoutMs: number): Promise<packet.DecodedPacket> {
  const endpoint = parseServer(server ?? getServers()[0] ?? '127.0.0.1');
  const id = randomInt(0, 0x10000); // unpredictable, so an off-path attacker must guess it (with the source port)
  const message = packet.encode({
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED | packet.AUTHENTIC_DATA, // AD in a query also asks for AD (RFC 6840 5.7)
    questions: [{ type, class: 'IN', name }],
    additionals: [
      { type: 'OPT', name: '.', udpPayloadSize: UDP_PAYLOAD_SIZE, extendedRcode: 0, ednsVersion: 0, flags: packet.DNSSEC_OK, flag_do: true, options: [] },
    ],
  });
  const matches = (reply: packet.DecodedPacket) => {
    const question = reply.questions?.[0];
    return (
      reply.type === 'response' &&
      reply.id === id &&
      reply.questions?.length === 1 &&
      question !== undefined &&
      question.type === type &&
      (question.class ?? 'IN') === 'IN' &&
      normalize(question.name) === normalize(name)
    );
  };
  const fail = (code: string, detail = code): never => {
    throw new DnsError('TEMPORARY', code, `${type} lookup for ${name} failed: ${detail}`);
  };

  const udpReply = await udpExchange(endpoint, message, matches, timeoutMs).catch((error: unknown) => fail(errorCode(error)));
  if (!udpReply.flag_tc) return udpReply;
  const tcpReply = await tcpExchange(endpoint, message, timeoutMs).catch((error: unknown) => fail(errorCode(error)));
  if (!matches(tcpReply)) fail('EBADRESP', 'EBADRESP (reply does not match the query)');
  return tcpReply;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
}

function codedError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/**
 * One query over UDP, sent again halfway to the deadline if no reply came. The socket is connected, so the
 * kernel drops datagrams from anyone but the server; replies that do not match the query (id, question)
 * are ignored rather than believed or treated as failure, as a spoofer would have them be.
 */
function udpExchange(
  endpoint: Endpoint,
  message: Buffer,
  matches: (reply: packet.DecodedPacket) => boolean,
  timeoutMs: number,
): Promise<packet.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket: UdpSocket = createSocket(isIP(endpoint.host) === 6 ? 'udp6' : 'udp4');
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (error: Error | undefined, reply?: packet.DecodedPacket) => {
      if (done) return;
      done = true;
      for (const timer of timers) clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed
      }
      if (error) reject(error);
      else resolve(reply as packet.DecodedPacket);
    };
    const send = () => socket.send(message, (error) => error && finish(error));
    socket.on('error', (error) => finish(error));
    socket.on('message', (data) => {
      let reply: packet.DecodedPacket;
      try {
        reply = packet.decode(data);
      } catch {
        return; // not DNS: ignore and keep waiting
      }
      if (matches(reply)) finish(undefined, reply);
    });
    timers.push(setTimeout(() => finish(codedError('ETIMEOUT')), timeoutMs));
    socket.connect(endpoint.port, endpoint.host, () => {
      if (done) return;
      send();
      timers.push(setTimeout(() => !done && send(), Math.floor(timeoutMs / 2)));
    });
  });
}

/** One query over TCP (RFC 1035 4.2.2: each message behind a 2-byte length). */
function tcpExchange(endpoint: Endpoint, message: Buffer, timeoutMs: number): Promise<packet.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: endpoint.host, port: endpoint.port });
    let pending = Buffer.alloc(0);
    let done = false;
    const finish = (error: Error | undefined, reply?: packet.DecodedPacket) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply as packet.DecodedPacket);
    };
    const timer = setTimeout(() => finish(codedError('ETIMEOUT')), timeoutMs);
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(codedError('ECONNRESET')));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
      try {
        finish(undefined, packet.decode(pending.subarray(2, 2 + pending.readUInt16BE(0))));
      } catch {
        finish(codedError('EBADRESP'));
      }
    });
  });
}
