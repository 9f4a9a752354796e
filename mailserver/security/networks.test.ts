import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkList, plainAddress } from './networks.ts';

describe('NetworkList', () => {
  it('matches IPv4 and IPv6 networks, single addresses and mapped IPv4 clients', () => {
    const list = new NetworkList(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32']);
    assert.ok(list.contains('10.1.2.3'));
    assert.ok(list.contains('::ffff:10.200.0.1'));
    assert.ok(list.contains('192.0.2.7'));
    assert.ok(!list.contains('192.0.2.8'));
    assert.ok(list.contains('2001:db8:1::5'));
    assert.ok(!list.contains('2001:db9::1'));
    assert.ok(!list.contains('127.0.0.1'), 'loopback is not trusted unless listed');
    assert.ok(!list.contains('not-an-address'));
  });

  it('is empty by default and refuses malformed networks', () => {
    assert.ok(!new NetworkList([]).contains('127.0.0.1'));
    assert.throws(() => new NetworkList(['10.0.0.0/33']), /prefix/);
    assert.throws(() => new NetworkList(['example.org/8']), /not a network/);
    assert.equal(plainAddress('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(plainAddress('2001:db8::1'), '2001:db8::1');
  });
});
