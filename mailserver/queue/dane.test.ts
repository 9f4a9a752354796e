import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import type { TlsaRecord } from '../dns/dnssec.ts';
import { danePolicy, matchesTlsa, usableTlsa } from './dane.ts';

type Pems = Awaited<ReturnType<typeof generate>>;
const DAY = 24 * 3600 * 1000;

/** EC keys: quick to generate, and a different key type from RSA exercises SPKI export the same way. */
async function makeCa(cn: string, signer?: Pems): Promise<Pems> {
  return generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...(signer ? { ca: { key: signer.private, cert: signer.cert } } : {}),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
}

async function makeLeaf(host: string, signer?: Pems, dates: { notBeforeDate?: Date; notAfterDate?: Date } = {}): Promise<Pems> {
  return generate([{ name: 'commonName', value: host }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...dates,
    ...(signer ? { ca: { key: signer.private, cert: signer.cert } } : {}),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: host }] },
    ],
  });
}

const der = (pems: Pems) => new X509Certificate(pems.cert).raw;
const spki = (pems: Pems) => new X509Certificate(pems.cert).publicKey.export({ type: 'spki', format: 'der' });

/** The association data for a certificate under one selector and matching type, as a zone would publish it. */
function tlsa(pems: Pems, usage: number, selector: number, matchingType: number): TlsaRecord {
  const selected = selector === 0 ? der(pems) : spki(pems);
  const data = matchingType === 0 ? selected : createHash(matchingType === 1 ? 'sha256' : 'sha512').update(selected).digest();
  return { usage, selector, matchingType, data };
}

const MX = 'mx.example.test';
const COMBINATIONS = [0, 1].flatMap((selector) => [0, 1, 2].map((matchingType) => ({ selector, matchingType })));

describe('DANE certificate matching', () => {
  let root: Pems;
  let intermediate: Pems;
  let leaf: Pems; // issued by the intermediate
  let directLeaf: Pems; // issued by the root
  let selfSigned: Pems;
  let expiredLeaf: Pems; // issued by the root, expired
  let otherCa: Pems;

  before(async () => {
    root = await makeCa('Test Root CA');
    intermediate = await makeCa('Test Intermediate CA', root);
    otherCa = await makeCa('Other CA');
    [leaf, directLeaf, selfSigned, expiredLeaf] = await Promise.all([
      makeLeaf(MX, intermediate),
      makeLeaf(MX, root),
      makeLeaf(MX),
      makeLeaf(MX, root, { notBeforeDate: new Date(Date.now() - 400 * DAY), notAfterDate: new Date(Date.now() - DAY) }),
    ]);
  });

  describe('DANE-EE (usage 3)', () => {
    for (const { selector, matchingType } of COMBINATIONS) {
      it(`3 ${selector} ${matchingType} matches the leaf`, () => {
        assert.equal(matchesTlsa([der(selfSigned)], [tlsa(selfSigned, 3, selector, matchingType)], MX), true);
        // The chain above the leaf does not matter.
        assert.equal(matchesTlsa([der(leaf), der(intermediate), der(root)], [tlsa(leaf, 3, selector, matchingType)], MX), true);
      });
      it(`3 ${selector} ${matchingType} does not match another certificate`, () => {
        assert.equal(matchesTlsa([der(directLeaf)], [tlsa(selfSigned, 3, selector, matchingType)], MX), false);
        // Not a certificate further up either: DANE-EE is about the leaf only.
        assert.equal(matchesTlsa([der(leaf), der(intermediate)], [tlsa(intermediate, 3, selector, matchingType)], MX), false);
      });
    }

    it('ignores the name and the validity dates (RFC 7672 3.1.1)', () => {
      assert.equal(matchesTlsa([der(selfSigned)], [tlsa(selfSigned, 3, 1, 1)], 'some.other.host'), true);
      assert.equal(matchesTlsa([der(expiredLeaf)], [tlsa(expiredLeaf, 3, 1, 1)], MX), true);
    });

    it('matches when any record in the set matches (key rollover)', () => {
      const records = [tlsa(otherCa, 3, 1, 1), tlsa(selfSigned, 3, 1, 1)];
      assert.equal(matchesTlsa([der(selfSigned)], records, MX), true);
    });

    it('does not match a digest that differs in one bit', () => {
      const record = tlsa(selfSigned, 3, 1, 1);
      const data = Buffer.from(record.data);
      data[0] = (data[0] ?? 0) ^ 1;
      assert.equal(matchesTlsa([der(selfSigned)], [{ ...record, data }], MX), false);
    });
  });

  describe('DANE-TA (usage 2)', () => {
    for (const { selector, matchingType } of COMBINATIONS) {
      it(`2 ${selector} ${matchingType} matches a chain to the anchor`, () => {
        assert.equal(matchesTlsa([der(directLeaf), der(root)], [tlsa(root, 2, selector, matchingType)], MX), true);
        assert.equal(matchesTlsa([der(leaf), der(intermediate), der(root)], [tlsa(root, 2, selector, matchingType)], MX), true);
        assert.equal(matchesTlsa([der(leaf), der(intermediate), der(root)], [tlsa(intermediate, 2, selector, matchingType)], MX), true);
      });
      it(`2 ${selector} ${matchingType} does not match another anchor`, () => {
        assert.equal(matchesTlsa([der(directLeaf), der(root)], [tlsa(otherCa, 2, selector, matchingType)], MX), false);
      });
    }

    it('does not match the leaf itself', () => {
      assert.equal(matchesTlsa([der(selfSigned)], [tlsa(selfSigned, 2, 1, 1)], MX), false);
      assert.equal(matchesTlsa([der(directLeaf), der(root)], [tlsa(directLeaf, 2, 0, 1)], MX), false);
    });

    it('requires the leaf to be valid for the MX host name', () => {
      const chain = [der(directLeaf), der(root)];
      const records = [tlsa(root, 2, 1, 1)];
      assert.equal(matchesTlsa(chain, records, 'evil.example.test'), false);
      assert.equal(matchesTlsa(chain, records, 'example.test'), false);
      assert.equal(matchesTlsa(chain, records, 'MX.Example.Test.'), true); // case and a trailing dot do not matter
      // Any one of the reference identifiers will do (TLSA base domain, MX host name).
      assert.equal(matchesTlsa(chain, records, ['mx.cname-target.test', MX]), true);
      assert.equal(matchesTlsa(chain, records, []), false);
    });

    it('accepts a wildcard only as the whole left-most label', async () => {
      const wildcard = await makeLeaf('*.example.test', root);
      const chain = [der(wildcard), der(root)];
      assert.equal(matchesTlsa(chain, [tlsa(root, 2, 1, 1)], MX), true);
      assert.equal(matchesTlsa(chain, [tlsa(root, 2, 1, 1)], 'a.mx.example.test'), false);
      const partial = await makeLeaf('m*.example.test', root);
      assert.equal(matchesTlsa([der(partial), der(root)], [tlsa(root, 2, 1, 1)], MX), false);
    });

    it('rejects a leaf not issued by the anchor that follows it (the anchor certificate is public)', () => {
      // An attacker's self-signed certificate for the MX name, followed by the real CA certificate.
      assert.equal(matchesTlsa([der(selfSigned), der(root)], [tlsa(root, 2, 0, 1)], MX), false);
      // A leaf from another CA, with the anchor appended after its real issuer.
      assert.equal(matchesTlsa([der(leaf), der(root)], [tlsa(root, 2, 1, 1)], MX), false);
      assert.equal(matchesTlsa([der(leaf), der(otherCa), der(root)], [tlsa(root, 2, 1, 1)], MX), false);
    });

    it('rejects an issuer that is not a CA', async () => {
      // directLeaf is not a CA; a certificate "issued" by it must not chain to the root through it.
      const underLeaf = await makeLeaf(MX, directLeaf);
      assert.equal(matchesTlsa([der(underLeaf), der(directLeaf), der(root)], [tlsa(root, 2, 1, 1)], MX), false);
    });

    it('rejects an expired leaf', () => {
      assert.equal(matchesTlsa([der(expiredLeaf), der(root)], [tlsa(root, 2, 1, 1)], MX), false);
      // And checks the dates against the clock it is given.
      const past = new Date(Date.now() - 30 * DAY);
      assert.equal(matchesTlsa([der(expiredLeaf), der(root)], [tlsa(root, 2, 1, 1)], MX, past), true);
    });

    it('2 1 0 matches a chain whose anchor was left out, by its public key', () => {
      assert.equal(matchesTlsa([der(directLeaf)], [tlsa(root, 2, 1, 0)], MX), true);
      assert.equal(matchesTlsa([der(leaf), der(intermediate)], [tlsa(root, 2, 1, 0)], MX), true);
      assert.equal(matchesTlsa([der(leaf)], [tlsa(root, 2, 1, 0)], MX), false); // the intermediate is missing
      assert.equal(matchesTlsa([der(selfSigned)], [tlsa(root, 2, 1, 0)], MX), false);
      assert.equal(matchesTlsa([der(directLeaf)], [tlsa(root, 2, 1, 1)], MX), false); // a digest cannot verify anything
    });
  });

  describe('unusable records', () => {
    it('never match with PKIX-TA (0) or PKIX-EE (1), even when the data would', () => {
      for (const usage of [0, 1]) {
        assert.equal(matchesTlsa([der(selfSigned)], [tlsa(selfSigned, usage, 1, 1)], MX), false);
        assert.equal(matchesTlsa([der(directLeaf), der(root)], [tlsa(root, usage, 1, 1)], MX), false);
      }
    });

    it('never match with an unknown selector or matching type, or a digest of the wrong length', () => {
      const good = tlsa(selfSigned, 3, 1, 1);
      for (const record of [
        { ...good, selector: 2 },
        { ...good, matchingType: 3 },
        { ...good, usage: 4 },
        { ...good, data: good.data.subarray(0, 31) },
        { ...tlsa(selfSigned, 3, 1, 2), matchingType: 1 }, // a SHA-512 digest labelled SHA-256
        { ...good, matchingType: 0, data: Buffer.alloc(0) },
      ]) {
        assert.equal(matchesTlsa([der(selfSigned)], [record], MX), false);
      }
    });

    it('usableTlsa keeps only DANE-TA/DANE-EE records with a known selector and matching type', () => {
      const records: TlsaRecord[] = [
        { usage: 0, selector: 0, matchingType: 1, data: Buffer.alloc(32) },
        { usage: 1, selector: 1, matchingType: 1, data: Buffer.alloc(32) },
        { usage: 2, selector: 0, matchingType: 1, data: Buffer.alloc(32) },
        { usage: 3, selector: 1, matchingType: 2, data: Buffer.alloc(64) },
        { usage: 3, selector: 1, matchingType: 0, data: Buffer.alloc(91) },
        { usage: 3, selector: 1, matchingType: 2, data: Buffer.alloc(32) },
        { usage: 3, selector: 7, matchingType: 1, data: Buffer.alloc(32) },
        { usage: 255, selector: 1, matchingType: 1, data: Buffer.alloc(32) },
      ];
      assert.deepEqual(
        usableTlsa(records).map((r) => `${r.usage} ${r.selector} ${r.matchingType}`),
        ['2 0 1', '3 1 2', '3 1 0'],
      );
    });
  });

  it('an empty or unparseable chain matches nothing', () => {
    assert.equal(matchesTlsa([], [tlsa(selfSigned, 3, 1, 1)], MX), false);
    assert.equal(matchesTlsa([Buffer.from('not a certificate')], [{ usage: 3, selector: 0, matchingType: 0, data: Buffer.from('not a certificate') }], MX), false);
  });
});

describe('danePolicy (RFC 7672 2.2)', () => {
  const usable: TlsaRecord = { usage: 3, selector: 1, matchingType: 1, data: Buffer.alloc(32, 1) };
  const unusable: TlsaRecord = { usage: 1, selector: 1, matchingType: 1, data: Buffer.alloc(32, 2) };

  it('ignores DANE for an unauthenticated RRset, records or not', () => {
    assert.deepEqual(danePolicy({ authenticated: false, records: [usable] }), { mode: 'none' });
    assert.deepEqual(danePolicy({ authenticated: false, records: [] }), { mode: 'none' });
  });

  it('ignores DANE for an authenticated denial (no TLSA records)', () => {
    assert.deepEqual(danePolicy({ authenticated: true, records: [] }), { mode: 'none' });
  });

  it('requires a matching certificate when usable records are authenticated, keeping only those', () => {
    assert.deepEqual(danePolicy({ authenticated: true, records: [unusable, usable] }), { mode: 'verify', records: [usable] });
  });

  it('requires TLS without authentication when every authenticated record is unusable', () => {
    assert.deepEqual(danePolicy({ authenticated: true, records: [unusable] }), { mode: 'encrypt' });
  });
});
