import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDnsServer, type TestDnsServer } from '../../e2e/dns-server.ts';
import { DnsResolver } from '../dns/resolver.ts';
import { parseHostPort, routeFor, RouteFailure, type RoutingOptions } from './routes.ts';

describe('parseHostPort', () => {
  it('reads host, host:port and [address]:port', () => {
    assert.deepEqual(parseHostPort('smtp.example.org', 25), { host: 'smtp.example.org', port: 25 });
    assert.deepEqual(parseHostPort('smtp.example.org:2525', 25), { host: 'smtp.example.org', port: 2525 });
    assert.deepEqual(parseHostPort('[::1]:25', 587), { host: '::1', port: 25 });
    assert.deepEqual(parseHostPort('[192.0.2.1]', 587), { host: '192.0.2.1', port: 587 });
  });

  it('takes an unbracketed IPv6 address as a host without port', () => {
    assert.deepEqual(parseHostPort('2001:db8::1', 25), { host: '2001:db8::1', port: 25 });
  });
});

const failure = (permanent: boolean, status: string) => (error: unknown) => {
  assert.ok(error instanceof RouteFailure, String(error));
  assert.equal(error.permanent, permanent);
  assert.equal(error.status, status);
  return true;
};

describe('routeFor against the test DNS server', () => {
  let dns: TestDnsServer;
  let options: RoutingOptions;

  before(async () => {
    dns = await startDnsServer({
      'ordered.test': {
        MX: [
          { exchange: 'mx30.ordered.test', priority: 30 },
          { exchange: 'mx10.ordered.test', priority: 10 },
          { exchange: 'mx20.ordered.test.', priority: 20 },
        ],
      },
      'nullmx.test': { MX: [{ exchange: '.', priority: 0 }], A: ['192.0.2.7'] },
      'implicit.test': { A: ['192.0.2.8'] },
      'v6only.test': { AAAA: ['2001:db8::8'] },
      'txtonly.test': { TXT: ['v=spf1 -all'] },
      'broken.test': { MX: [{ exchange: 'mx.broken.test', priority: 10 }] },
    });
    options = { resolver: new DnsResolver(dns.address, 2000), mxPort: 2525 };
  });
  after(() => dns.close());

  it('lists MX hosts by priority, on the MX port, without trailing dots', async () => {
    const route = await routeFor('ordered.test', options);
    assert.deepEqual(route, {
      hosts: [
        { host: 'mx10.ordered.test', port: 2525 },
        { host: 'mx20.ordered.test', port: 2525 },
        { host: 'mx30.ordered.test', port: 2525 },
      ],
      requireTls: false,
      verifyCertificate: false,
      via: 'mx',
    });
  });

  it('refuses a domain with a null MX permanently (5.1.10), even though it has an address', async () => {
    await assert.rejects(routeFor('nullmx.test', options), failure(true, '5.1.10'));
  });

  it('uses the domain itself when it has no MX but an address record (implicit MX)', async () => {
    for (const domain of ['implicit.test', 'v6only.test']) {
      assert.deepEqual(await routeFor(domain, options), {
        hosts: [{ host: domain, port: 2525 }],
        requireTls: false,
        verifyCertificate: false,
        via: 'address',
      });
    }
  });

  it('fails permanently (5.1.2) for a domain that does not exist or has neither MX nor address', async () => {
    await assert.rejects(routeFor('nowhere.test', options), failure(true, '5.1.2'));
    await assert.rejects(routeFor('txtonly.test', options), failure(true, '5.1.2'));
  });

  it('fails temporarily (4.4.3) when DNS fails, and recovers when it answers again', async () => {
    dns.failWith('broken.test', 'SERVFAIL');
    try {
      await assert.rejects(routeFor('broken.test', options), failure(false, '4.4.3'));
    } finally {
      dns.failWith('broken.test', null);
    }
    assert.deepEqual((await routeFor('broken.test', options)).hosts, [{ host: 'mx.broken.test', port: 2525 }]);
  });

  it('a smarthost takes all mail without asking DNS', async () => {
    const before = dns.queries.length;
    const route = await routeFor('ordered.test', { ...options, smarthost: { host: 'relay.isp.test', port: 587, requireTls: true } });
    assert.deepEqual(route, { hosts: [{ host: 'relay.isp.test', port: 587 }], requireTls: true, verifyCertificate: false, via: 'smarthost' });
    // Even for a domain that would otherwise fail.
    assert.equal((await routeFor('nowhere.test', { ...options, smarthost: { host: 'relay.isp.test', port: 25, requireTls: false } })).via, 'smarthost');
    assert.equal(dns.queries.length, before);
  });

  it('a next hop for the domain wins over the smarthost; other domains fall through', async () => {
    const asked: string[] = [];
    const routing: RoutingOptions = {
      ...options,
      smarthost: { host: 'relay.isp.test', port: 25, requireTls: false },
      nextHopFor: async (domain) => {
        asked.push(domain);
        return domain === 'customer.test' ? { host: '10.0.0.5', port: 10025, requireTls: true } : null;
      },
    };
    assert.deepEqual(await routeFor('customer.test', routing), {
      hosts: [{ host: '10.0.0.5', port: 10025 }],
      requireTls: true,
      verifyCertificate: false,
      via: 'next-hop',
    });
    assert.equal((await routeFor('ordered.test', routing)).via, 'smarthost');
    const { smarthost: _, ...withoutSmarthost } = routing;
    assert.equal((await routeFor('ordered.test', withoutSmarthost)).via, 'mx');
    assert.deepEqual(asked, ['customer.test', 'ordered.test', 'ordered.test']);
  });
});
