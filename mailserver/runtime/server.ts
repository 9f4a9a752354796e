import { availableParallelism } from 'node:os';
import type { Config } from '../config/index.ts';
import { ParsePool } from '../mime/parse-pool.ts';
import { DnsResolver } from '../dns/resolver.ts';
import { AuthThrottle } from '../security/auth-throttle.ts';
import { RecipientCallout } from '../smtp/callout.ts';
import { createInboundServer } from '../smtp/inbound.ts';
import { SenderChecks } from '../smtp/sender-checks.ts';
import { Srs } from '../smtp/srs.ts';
import { SendingLimits } from '../smtp/sending-limits.ts';
import { createSubmissionServer } from '../smtp/submission.ts';
import type { SMTPServer } from 'smtp-server';
import { ImapServer } from '../imap/server.ts';
import { createLogger } from '../log/logger.ts';
import { loadOrCreateCertificate, TlsError } from '../tls/certificate.ts';
import { closeServices, openServices, UnsupportedBackendError } from './context.ts';
import { writePortsFile } from './ports-file.ts';
import { createQueueRunner } from './outbound.ts';
import { firstStart } from './setup.ts';
import { startWebmail } from './webmail.ts';
import { loadOrCreateProxySecret } from '../security/proxy-secret.ts';
import type { RunningGateway } from '../../server/start.ts';

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
  await firstStart(config, services.directory, services.store, services.dkim, log);

  const resolver = new DnsResolver(config.dns);
  const throttle = new AuthThrottle();
  const senderChecks = new SenderChecks(resolver, config.dns);
  const srs = Srs.forDataDir(services.dataDir);
  const runner = createQueueRunner(services, resolver, log, srs);
  const maxMessageBytes = config.imap.maxLiteralBytes;
  const proxySecret = loadOrCreateProxySecret(services.dataDir);
  const imap = new ImapServer({ config, store: services.store, directory: services.directory, tls, log, throttle, proxySecret });
  const limits = new SendingLimits(config.submission);
  const enqueue = async (message: Parameters<typeof services.queue.enqueue>[0]) => {
    const id = await services.queue.enqueue(message);
    runner.kick();
    return id;
  };
  const callout = new RecipientCallout(config.hostname);
  const recipients = { directory: services.directory, srs, callout, postmaster: `postmaster@${config.domain}` };
  const smtp = createInboundServer({ config, directory: services.directory, store: services.store, tls, log, senderChecks, recipients, enqueue, maxMessageBytes });
  const submissionOptions = { config, directory: services.directory, store: services.store, tls, log, throttle, limits, dkim: services.dkim, enqueue, recipients, maxMessageBytes };
  const submission = createSubmissionServer({ ...submissionOptions, implicitTls: false });
  const submissions = createSubmissionServer({ ...submissionOptions, implicitTls: true });
  const ports: Record<string, number> = {};
  let webmail: RunningGateway | undefined;
  try {
    ports.imap = await imap.listen(config.ports.imap, config.listen, false);
    ports.imaps = await imap.listen(config.ports.imaps, config.listen, true);
    ports.smtp = await listenSmtp(smtp, config.ports.smtp, config.listen);
    ports.submission = await listenSmtp(submission, config.ports.submission, config.listen);
    ports.submissions = await listenSmtp(submissions, config.ports.submissions, config.listen);
    webmail = await startWebmail(config, tls, ports, log, proxySecret);
    ports.http = webmail.port;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    console.error(`mailwerk: cannot listen on ${config.listen}: ${e.code ?? e.message} (check MAILWERK_LISTEN and the MAILWERK_*_PORT settings)`);
    process.exit(1);
  }
  runner.start();
  writePortsFile(services.dataDir, { pid: process.pid, listen: config.listen, ports });
  log.info('ready', { listen: config.listen, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [`port_${k}`, v])), data: services.dataDir });

  const stop = async () => {
    await webmail?.close();
    await imap.close();
    await Promise.all([smtp, submission, submissions].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    await runner.stop();
    await senderChecks.close();
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
