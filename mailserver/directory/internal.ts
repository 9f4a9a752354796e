import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { isDomainName, parseAddress } from './address.ts';
import { decoyHash, hashPassword, verifyPassword } from './password.ts';
import { DirectoryError, type Account, type Alias, type Directory, type DomainInfo, type RelaySettings } from './types.ts';
import { StatementCache } from '../store/sqlite/statement-cache.ts';

interface AccountRow {
  id: number;
  address: string;
  password_hash: string;
  quota_bytes: number;
  disabled: number;
}

const DDL = `
CREATE TABLE IF NOT EXISTS domains (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  address TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  quota_bytes INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS aliases (address TEXT PRIMARY KEY, targets TEXT NOT NULL) WITHOUT ROWID;
`;

/** How long a verified password is remembered, so reconnecting clients do not pay for scrypt every time. */
const AUTH_CACHE_MS = 5 * 60 * 1000;

const toAccount = (row: AccountRow): Account => ({
  id: `a${row.id}`,
  address: row.address,
  quotaBytes: row.quota_bytes,
  disabled: row.disabled !== 0,
});

/** The embedded directory: its own SQLite file, so the CLI can change it while the server runs. */
export class InternalDirectory implements Directory {
  private readonly db: Database;
  /** HMAC(secret, stored hash + password) → expiry. Keyed on the stored hash, so a password change elsewhere invalidates it. */
  private readonly verified = new Map<string, number>();
  private readonly cacheSecret = randomBytes(32);
  private readonly statements: StatementCache;

  constructor(
    dataDir: string,
    private readonly defaultDomain: string,
    private readonly defaultQuotaBytes: number,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new BetterSqlite3(join(dataDir, 'directory.sqlite'));
    this.statements = new StatementCache(this.db);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(DDL);
    this.migrate();
  }

  /** Statements are prepared once (StatementCache): lookups run at every RCPT TO and login. */
  private stmt(sql: string): Statement {
    return this.statements.get(sql);
  }

  /** Columns added after the first release; existing directories gain them on open. */
  private migrate(): void {
    const columns = (this.db.prepare('PRAGMA table_info(domains)').all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes('relay')) this.db.exec('ALTER TABLE domains ADD COLUMN relay TEXT');
  }

  /** "jane" means jane@ the first domain. */
  private qualify(login: string): string {
    const trimmed = login.trim().toLowerCase();
    return trimmed.includes('@') ? trimmed : `${trimmed}@${this.defaultDomain}`;
  }

  private row(address: string): AccountRow | undefined {
    return this.stmt('SELECT * FROM accounts WHERE address = ?').get(this.qualify(address)) as AccountRow | undefined;
  }

  async authenticate(login: string, password: string): Promise<Account | null> {
    const row = this.row(login);
    if (!row || row.disabled) {
      await verifyPassword(password, await decoyHash());
      return null;
    }
    const cacheKey = createHmac('sha256', this.cacheSecret).update(row.password_hash).update('\0').update(password).digest('base64');
    const expires = this.verified.get(cacheKey);
    if (expires && expires > Date.now()) return toAccount(row);
    if (!(await verifyPassword(password, row.password_hash))) return null;
    if (this.verified.size > 10000) this.verified.clear();
    this.verified.set(cacheKey, Date.now() + AUTH_CACHE_MS);
    return toAccount(row);
  }

  async findAccount(address: string): Promise<Account | null> {
    const row = this.row(address);
    return row ? toAccount(row) : null;
  }

  async listAccounts(): Promise<Account[]> {
    return (this.stmt('SELECT * FROM accounts ORDER BY address').all() as AccountRow[]).map(toAccount);
  }

  private checkedAddress(address: string): string {
    const check = parseAddress(address);
    if (!check.ok) throw new DirectoryError('INVALID', `${address} ${check.reason}`);
    return check.address;
  }

  async addAccount(address: string, password: string, quotaBytes = this.defaultQuotaBytes): Promise<Account> {
    const checked = this.checkedAddress(address);
    const domain = checked.slice(checked.lastIndexOf('@') + 1);
    const info = await this.getDomain(domain);
    if (!info) throw new DirectoryError('NOT_FOUND', `domain ${domain} is not served here; add it first`);
    if (info.relay) throw new DirectoryError('INVALID', `${domain} is a relay domain: its mailboxes live on ${info.relay.nextHop}`);
    if (password.length < 8) throw new DirectoryError('INVALID', 'password must be at least 8 characters');
    if (this.row(checked)) throw new DirectoryError('EXISTS', `${checked} already exists`);
    if (this.stmt('SELECT 1 FROM aliases WHERE address = ?').get(checked)) {
      throw new DirectoryError('EXISTS', `${checked} is an alias`);
    }
    const hash = await hashPassword(password);
    const row = this.db
      .prepare('INSERT INTO accounts (address, password_hash, quota_bytes) VALUES (?, ?, ?) RETURNING *')
      .get(checked, hash, quotaBytes) as AccountRow;
    return toAccount(row);
  }

  async setPassword(address: string, password: string): Promise<void> {
    if (password.length < 8) throw new DirectoryError('INVALID', 'password must be at least 8 characters');
    const row = this.row(address);
    if (!row) throw new DirectoryError('NOT_FOUND', `no account ${address}`);
    this.stmt('UPDATE accounts SET password_hash = ? WHERE id = ?').run(await hashPassword(password), row.id);
  }

  async deleteAccount(address: string): Promise<Account> {
    const row = this.row(address);
    if (!row) throw new DirectoryError('NOT_FOUND', `no account ${address}`);
    this.stmt('DELETE FROM accounts WHERE id = ?').run(row.id);
    return toAccount(row);
  }

  async listDomains(): Promise<string[]> {
    return this.stmt('SELECT name FROM domains ORDER BY name').pluck().all() as string[];
  }

  async addDomain(domain: string, relay?: RelaySettings): Promise<void> {
    const name = domain.trim().toLowerCase();
    if (!isDomainName(name)) throw new DirectoryError('INVALID', `${domain} is not a valid domain name`);
    if (await this.hasDomain(name)) throw new DirectoryError('EXISTS', `domain ${name} already exists`);
    if (relay && !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(relay.nextHop)) {
      throw new DirectoryError('INVALID', `next hop ${relay.nextHop} must be host:port`);
    }
    const recipients = relay?.recipients?.map((r) => this.checkedAddress(r));
    const stored = relay ? JSON.stringify({ ...relay, recipients: recipients ?? null }) : null;
    this.stmt('INSERT INTO domains (name, relay) VALUES (?, ?)').run(name, stored);
  }

  async getDomain(domain: string): Promise<DomainInfo | null> {
    const row = this.stmt('SELECT name, relay FROM domains WHERE name = ?').get(domain.toLowerCase()) as { name: string; relay: string | null } | undefined;
    if (!row) return null;
    return { name: row.name, relay: row.relay ? (JSON.parse(row.relay) as RelaySettings) : null };
  }

  async hasDomain(domain: string): Promise<boolean> {
    return this.stmt('SELECT 1 FROM domains WHERE name = ?').get(domain.toLowerCase()) !== undefined;
  }

  async listAliases(): Promise<Alias[]> {
    const rows = this.stmt('SELECT address, targets FROM aliases ORDER BY address').all() as Array<{ address: string; targets: string }>;
    return rows.map((r) => ({ address: r.address, targets: JSON.parse(r.targets) as string[] }));
  }

  async findAlias(address: string): Promise<Alias | null> {
    const row = this.stmt('SELECT address, targets FROM aliases WHERE address = ?').get(address.trim().toLowerCase()) as
      | { address: string; targets: string }
      | undefined;
    return row ? { address: row.address, targets: JSON.parse(row.targets) as string[] } : null;
  }

  async addAlias(address: string, targets: string[]): Promise<void> {
    const checked = this.checkedAddress(address);
    const domain = checked.slice(checked.lastIndexOf('@') + 1);
    if (!(await this.hasDomain(domain))) throw new DirectoryError('NOT_FOUND', `domain ${domain} is not served here`);
    if (this.row(checked)) throw new DirectoryError('EXISTS', `${checked} is an account`);
    if (targets.length === 0) throw new DirectoryError('INVALID', 'an alias needs at least one target');
    const normalized = targets.map((t) => this.checkedAddress(t));
    this.stmt('INSERT OR REPLACE INTO aliases (address, targets) VALUES (?, ?)').run(checked, JSON.stringify(normalized));
  }

  async deleteAlias(address: string): Promise<void> {
    const result = this.stmt('DELETE FROM aliases WHERE address = ?').run(address.trim().toLowerCase());
    if (result.changes === 0) throw new DirectoryError('NOT_FOUND', `no alias ${address}`);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
