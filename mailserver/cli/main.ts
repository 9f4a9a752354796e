import { ConfigError, loadConfig, type Config } from '../config/index.ts';
import { DirectoryError } from '../directory/index.ts';
import { configSchema } from '../config/schema.ts';
import { closeServices, openServices, UnsupportedBackendError, type Services } from '../runtime/context.ts';
import { parseArgs, UsageError, type ParsedArgs } from './args.ts';
import { promptPassword, readStdin } from './prompt.ts';

const USAGE = `usage: mailwerk <command>

  start                                   run the mail server (same as npm start)
  user add ADDRESS [--password PW | --password-stdin] [--quota SIZE]
  user passwd ADDRESS [--password PW | --password-stdin]
  user del ADDRESS
  user list
  domain add DOMAIN [--relay-to HOST:PORT [--require-tls] [--recipients A,B,...]]
                                          a local domain, or a relay domain passed on to a customer's server
                                          (recipients checked against the list, or by asking that server)
  domain list
  domain dns DOMAIN                       the DNS records to publish (DKIM, SPF, DMARC, MX)
  alias add ADDRESS TARGET [TARGET...]
  alias del ADDRESS
  alias list
  queue list                              messages waiting for delivery
  queue retry [ID]                        try now (one message or all)
  queue delete ID                         remove a message without delivering or bouncing it
  config check                            validate the configuration and exit

Configuration comes from MAILWERK_CONFIG (a YAML file) and MAILWERK_* variables; see README.`;

const BOOLEAN_FLAGS = new Set(['password-stdin', 'help', 'require-tls']);

async function passwordFrom(args: ParsedArgs): Promise<string> {
  const given = args.flags.get('password');
  if (typeof given === 'string') return given;
  if (args.flags.get('password-stdin')) return readStdin();
  const first = await promptPassword('Password: ');
  const again = await promptPassword('Again: ');
  if (first !== again) throw new UsageError('the passwords differ');
  return first;
}

function need(args: ParsedArgs, index: number, what: string): string {
  const value = args.positionals[index];
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

async function withServices<T>(config: Config, fn: (s: Services) => Promise<T>): Promise<T> {
  const services = openServices(config);
  try {
    return await fn(services);
  } finally {
    await closeServices(services);
  }
}

async function userCommand(config: Config, args: ParsedArgs): Promise<void> {
  const action = need(args, 1, 'user action (add, passwd, del, list)');
  await withServices(config, async ({ directory, store }) => {
    switch (action) {
      case 'add': {
        const address = need(args, 2, 'ADDRESS');
        const quotaFlag = args.flags.get('quota');
        const quota = typeof quotaFlag === 'string' ? configSchema.shape.quota.parse({ defaultBytes: quotaFlag }).defaultBytes : undefined;
        const account = await directory.addAccount(address, await passwordFrom(args), quota);
        await store.ensureAccount(account.id, account.quotaBytes);
        console.log(`created ${account.address}`);
        return;
      }
      case 'passwd': {
        const address = need(args, 2, 'ADDRESS');
        await directory.setPassword(address, await passwordFrom(args));
        console.log(`password changed for ${address}`);
        return;
      }
      case 'del': {
        const account = await directory.deleteAccount(need(args, 2, 'ADDRESS'));
        await store.deleteAccount(account.id);
        console.log(`deleted ${account.address} and its mail`);
        return;
      }
      case 'list':
        for (const a of await directory.listAccounts()) {
          const usage = await store.quota(a.id).catch(() => null);
          const used = usage ? `${(usage.usedBytes / 1048576).toFixed(1)} MiB in ${usage.messages} messages` : 'no mail yet';
          console.log(`${a.address}\t${used}\tquota ${(a.quotaBytes / 1048576).toFixed(0)} MiB${a.disabled ? '\tdisabled' : ''}`);
        }
        return;
      default:
        throw new UsageError(`unknown user action ${action}`);
    }
  });
}

async function domainCommand(config: Config, args: ParsedArgs): Promise<void> {
  const action = need(args, 1, 'domain action (add, list, dns)');
  await withServices(config, async ({ directory, dkim }) => {
    if (action === 'add') {
      const domain = need(args, 2, 'DOMAIN');
      const relayTo = args.flags.get('relay-to');
      if (typeof relayTo === 'string') {
        const list = args.flags.get('recipients');
        const recipients = typeof list === 'string' ? list.split(',').map((r) => r.trim()).filter(Boolean) : null;
        await directory.addDomain(domain, { nextHop: relayTo, requireTls: args.flags.get('require-tls') === true, recipients });
        console.log(`added relay domain ${domain.toLowerCase()} → ${relayTo}`);
        return;
      }
      await directory.addDomain(domain);
      dkim.ensure(domain);
      console.log(`added domain ${domain.toLowerCase()}; publish its DNS records: mailwerk domain dns ${domain.toLowerCase()}`);
    } else if (action === 'list') {
      for (const name of await directory.listDomains()) {
        const relay = (await directory.getDomain(name))?.relay;
        if (!relay) console.log(`${name}\tlocal`);
        else console.log(`${name}\trelay to ${relay.nextHop}${relay.requireTls ? ' (TLS required)' : ''}\t${relay.recipients ? `${relay.recipients.length} listed recipients` : 'recipients checked by callout'}`);
      }
    } else if (action === 'dns') {
      const domain = need(args, 2, 'DOMAIN').toLowerCase();
      if (!(await directory.hasDomain(domain))) throw new UsageError(`${domain} is not a domain of this server`);
      for (const record of dnsRecords(config, domain, dkim.dnsRecord(dkim.ensure(domain)).value, dkim.ensure(domain).selector)) console.log(record);
    } else throw new UsageError(`unknown domain action ${action}`);
  });
}

/** Zone-file lines a domain owner publishes for mail to flow and be trusted. */
function dnsRecords(config: Config, domain: string, dkimValue: string, selector: string): string[] {
  // Long TXT values are split into 255-byte strings, as zone files and DNS require.
  const quoted = (value: string) => (value.match(/.{1,255}/g) ?? []).map((part) => `"${part}"`).join(' ');
  return [
    `${domain}.\tIN MX 10 ${config.hostname}.`,
    `${domain}.\tIN TXT ${quoted('v=spf1 mx -all')}`,
    `${selector}._domainkey.${domain}.\tIN TXT ${quoted(dkimValue)}`,
    `_dmarc.${domain}.\tIN TXT ${quoted(`v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}`)}`,
  ];
}

async function queueCommand(config: Config, args: ParsedArgs): Promise<void> {
  const action = need(args, 1, 'queue action (list, retry, delete)');
  await withServices(config, async ({ queue }) => {
    if (action === 'list') {
      const messages = queue.list();
      for (const m of messages) {
        console.log(`${m.id}\t${new Date(m.createdAt).toISOString()}\t${m.size} bytes\t<${m.sender}>\t${m.origin}`);
        for (const r of m.recipients) {
          const when = r.state === 'queued' ? `next ${new Date(r.nextAttemptAt).toISOString()}` : '';
          console.log(`\t${r.address}\t${r.state}\t${r.attempts} attempts\t${when}\t${r.lastError ?? ''}`.trimEnd());
        }
      }
      console.log(`${messages.length} message(s) in the queue`);
    } else if (action === 'retry') {
      const id = args.positionals[2];
      if (id && !queue.get(id)) throw new UsageError(`no queued message ${id}`);
      console.log(`${queue.retryNow(id)} recipient(s) will be tried again within 15 seconds`);
    } else if (action === 'delete') {
      const id = need(args, 2, 'ID');
      if (!queue.delete(id)) throw new UsageError(`no queued message ${id}`);
      console.log(`deleted ${id} from the queue (no bounce is sent)`);
    } else throw new UsageError(`unknown queue action ${action}`);
  });
}

async function aliasCommand(config: Config, args: ParsedArgs): Promise<void> {
  const action = need(args, 1, 'alias action (add, del, list)');
  await withServices(config, async ({ directory }) => {
    if (action === 'add') {
      const address = need(args, 2, 'ADDRESS');
      const targets = args.positionals.slice(3);
      await directory.addAlias(address, targets);
      console.log(`${address.toLowerCase()} → ${targets.join(', ')}`);
    } else if (action === 'del') {
      await directory.deleteAlias(need(args, 2, 'ADDRESS'));
      console.log('alias deleted');
    } else if (action === 'list') {
      for (const a of await directory.listAliases()) console.log(`${a.address}\t${a.targets.join(', ')}`);
    } else throw new UsageError(`unknown alias action ${action}`);
  });
}

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, BOOLEAN_FLAGS);
    const command = args.positionals[0];
    if (!command || args.flags.get('help')) {
      console.log(USAGE);
      return command ? 0 : 2;
    }
    const config = loadConfig();
    switch (command) {
      case 'start': {
        const { startServer } = await import('../runtime/server.ts');
        await startServer(config);
        return -1; // keep running
      }
      case 'config':
        if (args.positionals[1] !== 'check') throw new UsageError('did you mean: mailwerk config check');
        console.log(`configuration is valid (data in ${config.data}, domain ${config.domain})`);
        return 0;
      case 'user':
        await userCommand(config, args);
        return 0;
      case 'domain':
        await domainCommand(config, args);
        return 0;
      case 'alias':
        await aliasCommand(config, args);
        return 0;
      case 'queue':
        await queueCommand(config, args);
        return 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`mailwerk: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof DirectoryError || error instanceof UnsupportedBackendError) {
      console.error(`mailwerk: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
