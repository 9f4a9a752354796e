import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import { DkimKeys } from '../dkim/keys.ts';
import { InternalDirectory, type Directory } from '../directory/index.ts';
import type { MessagePreparer } from '../mime/prepared.ts';
import { QueueDb } from '../queue/queue-db.ts';
import { SqliteStore, type MailStore } from '../store/index.ts';

/** The long-lived parts every front end (IMAP, SMTP, CLI, management API) works with. */
export interface Services {
  config: Config;
  dataDir: string;
  directory: Directory;
  store: MailStore;
  queue: QueueDb;
  dkim: DkimKeys;
}

export class UnsupportedBackendError extends Error {}

/** `preparer` lets the server parse deliveries in worker threads; CLI commands parse in their own thread. */
export function openServices(config: Config, preparer?: MessagePreparer): Services {
  const dataDir = resolve(config.data);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (config.store !== 'sqlite') {
    throw new UnsupportedBackendError('MAILWERK_STORE: the PostgreSQL store is not available in this version yet; use sqlite');
  }
  if (config.directory !== 'internal') {
    throw new UnsupportedBackendError('MAILWERK_DIRECTORY: the LDAP directory is not available in this version yet; use internal');
  }
  const directory = new InternalDirectory(dataDir, config.domain, config.quota.defaultBytes);
  // The server passes a parse pool; it also runs long enough to want background checkpoints.
  const store = new SqliteStore({ dataDir, preparer, backgroundCheckpoints: preparer !== undefined });
  return { config, dataDir, directory, store, queue: new QueueDb(dataDir), dkim: new DkimKeys(dataDir) };
}

export async function closeServices(services: Services): Promise<void> {
  await services.store.close();
  await services.directory.close();
  services.queue.close();
}
