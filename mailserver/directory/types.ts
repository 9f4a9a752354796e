/** Accounts, domains and aliases, whether kept in internal tables or in LDAP. */

export interface Account {
  /** Stable id the store keys mail by; never reused. */
  id: string;
  /** Primary address, lower-case. */
  address: string;
  quotaBytes: number;
  disabled: boolean;
}

export interface Alias {
  address: string;
  /** Local accounts or remote addresses the alias delivers to. */
  targets: string[];
}

/** A domain we accept mail for but do not keep: it is passed on to the customer's own server. */
export interface RelaySettings {
  /** `host:port` of the customer's server. */
  nextHop: string;
  /** Refuse to pass mail on unless the next hop does STARTTLS. */
  requireTls: boolean;
  /** Valid recipients; null means "ask the next hop" (an SMTP callout, cached). */
  recipients: string[] | null;
}

export interface DomainInfo {
  name: string;
  /** null for a local domain (mailboxes here). */
  relay: RelaySettings | null;
}

export type DirectoryErrorCode = 'EXISTS' | 'NOT_FOUND' | 'INVALID';

export class DirectoryError extends Error {
  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Directory {
  /** The account whose password this is, or null (unknown user, wrong password, disabled: indistinguishable). */
  authenticate(login: string, password: string): Promise<Account | null>;
  findAccount(address: string): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  addAccount(address: string, password: string, quotaBytes?: number): Promise<Account>;
  setPassword(address: string, password: string): Promise<void>;
  deleteAccount(address: string): Promise<Account>;

  listDomains(): Promise<string[]>;
  /** A local domain, or with `relay` a relay domain for a customer's server. */
  addDomain(domain: string, relay?: RelaySettings): Promise<void>;
  /** True for every domain we accept mail for, local or relay. */
  hasDomain(domain: string): Promise<boolean>;
  getDomain(domain: string): Promise<DomainInfo | null>;

  listAliases(): Promise<Alias[]>;
  /** The alias at this address, or null (looked up at every RCPT TO, so by key, not by listing). */
  findAlias(address: string): Promise<Alias | null>;
  addAlias(address: string, targets: string[]): Promise<void>;
  deleteAlias(address: string): Promise<void>;

  close(): Promise<void>;
}
