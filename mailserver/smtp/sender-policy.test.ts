import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InternalDirectory } from '../directory/internal.ts';
import type { Account } from '../directory/types.ts';
import { maySendAs, withoutSubaddress } from './sender-policy.ts';

describe('withoutSubaddress', () => {
  it('drops the +tag of the local part', () => {
    assert.equal(withoutSubaddress('user+tag@example.org'), 'user@example.org');
    assert.equal(withoutSubaddress('user+a+b@example.org'), 'user@example.org');
    assert.equal(withoutSubaddress('user+@example.org'), 'user@example.org');
  });

  it('leaves addresses without a subaddress, or starting with "+", alone', () => {
    assert.equal(withoutSubaddress('user@example.org'), 'user@example.org');
    assert.equal(withoutSubaddress('+tag@example.org'), '+tag@example.org');
    assert.equal(withoutSubaddress('no-at-sign+tag'), 'no-at-sign+tag');
  });

  it('only looks at the local part', () => {
    assert.equal(withoutSubaddress('user@ex+ample.org'), 'user@ex+ample.org');
  });
});

describe('maySendAs with the internal directory', () => {
  let dir: string;
  let directory: InternalDirectory;
  let jane: Account;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailwerk-sender-'));
    directory = new InternalDirectory(dir, 'example.org', 1 << 30);
    await directory.addDomain('example.org');
    jane = await directory.addAccount('jane@example.org', 'correct horse battery');
    await directory.addAccount('john@example.org', 'correct horse battery');
    await directory.addAlias('sales@example.org', ['john@example.org', 'Jane@Example.org']);
    await directory.addAlias('support@example.org', ['john@example.org']);
    await directory.addAlias('outside@example.org', ['jane@elsewhere.test']);
  });
  after(async () => {
    await directory.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('allows the account its own address, in any case and with surrounding space', async () => {
    assert.equal(await maySendAs(directory, jane, 'jane@example.org'), true);
    assert.equal(await maySendAs(directory, jane, ' Jane@EXAMPLE.org '), true);
  });

  it('allows subaddresses of its own address', async () => {
    assert.equal(await maySendAs(directory, jane, 'jane+lists@example.org'), true);
    assert.equal(await maySendAs(directory, jane, 'JANE+News@example.org'), true);
  });

  it('allows an alias that delivers to the account, and its subaddresses', async () => {
    assert.equal(await maySendAs(directory, jane, 'sales@example.org'), true);
    assert.equal(await maySendAs(directory, jane, 'Sales+q3@Example.org'), true);
  });

  it("refuses an alias for someone else, or one that only names the account's address elsewhere", async () => {
    assert.equal(await maySendAs(directory, jane, 'support@example.org'), false);
    assert.equal(await maySendAs(directory, jane, 'outside@example.org'), false);
  });

  it("refuses someone else's address, subaddress, or a look-alike", async () => {
    for (const sender of ['john@example.org', 'john+jane@example.org', 'jane@example.org.evil.test', 'jane@elsewhere.test', 'xjane@example.org', '']) {
      assert.equal(await maySendAs(directory, jane, sender), false, sender);
    }
  });
});
