import { availableParallelism } from 'node:os';
import type { Config } from '../config/index.ts';
import { ParsePool } from '../mime/parse-pool.ts';
import { createInboundServer } from '../smtp/inbound.ts';
import type { SMTPServer } from 'smtp-server';
import { ImapServer } from '../imap/server.ts';
import { createLogger } from '../log/logger.ts';
import { loadOrCreateCertificate, TlsError } from '../tls/certificate.ts';
import { closeServices, openServices, UnsupportedBackendError } from './context.ts';
import { writePortsFile } from './ports-file.ts';
import { firstStart } from './setup.ts';

export interface RunningServer {
  ports: Record<string, number>;
  stop(): Promise<void>;
}

/** Start every listener on the configured ports; report what was bound (log line and ports.json). */
export async function startServer(config: Config): Promise<RunningServer> {
  const log = createLogger(config.log.level, { service: 'mailwerk' });
  // Parsing at delivery runs beside the protocol thread: one worker per spare core.
  const parsePool = new ParsePool(Math.max(1, availableParallelism() - 1));
  let services;
  let tls;
  try {
    services = openServices(config, parsePool);
    tls = await loadOrCreateCertificate({ dataDir: services.dataDir, hostname: config.hostname, certPath: config.tls.cert, keyPath: config.tls.key });
  } catch (error) {
    if (error instanceof TlsError || error instanceof UnsupportedBackendError) {
      console.error(`mailwerk: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  if (tls.generated) log.info('tls.generated', { cert: tls.certPath, hostname: config.hostname });
  await firstStart(config, services.directory, services.store, log);

  const imap = new ImapServer({ config, store: services.store, directory: services.directory, tls, log });
  const smtp = createInboundServer({ config, directory: services.directory, store: services.store, tls, log, maxMessageBytes: config.imap.maxLiteralBytes });
  const ports: Record<string, number> = {};
  try {
    ports.imap = await imap.listen(config.ports.imap, config.listen, false);
    ports.imaps = await imap.listen(config.ports.imaps, config.listen, true);
    ports.smtp = await listenSmtp(smtp, config.ports.smtp, config.listen);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    console.error(`mailwerk: cannot listen on ${config.listen}: ${e.code ?? e.message} (check MAILWERK_LISTEN and the MAILWERK_*_PORT settings)`);
    process.exit(1);
  }
  writePortsFile(services.dataDir, { pid: process.pid, listen: config.listen, ports });
  log.info('ready', { listen: config.listen, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [`port_${k}`, v])), data: services.dataDir });

  const stop = async () => {
    await imap.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await closeServices(services);
    await parsePool.close();
  };
  const onSignal = () => {
    log.info('stopping', {});
    void stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { ports, stop };
}

function listenSmtp(server: SMTPServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
