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
  domain add DOMAIN
  domain list
  alias add ADDRESS TARGET [TARGET...]
  alias del ADDRESS
  alias list
  config check                            validate the configuration and exit

Configuration comes from MAILWERK_CONFIG (a YAML file) and MAILWERK_* variables; see README.`;

const BOOLEAN_FLAGS = new Set(['password-stdin', 'help']);

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
  const action = need(args, 1, 'domain action (add, list)');
  await withServices(config, async ({ directory }) => {
    if (action === 'add') {
      const domain = need(args, 2, 'DOMAIN');
      await directory.addDomain(domain);
      console.log(`added domain ${domain.toLowerCase()}`);
    } else if (action === 'list') {
      for (const d of await directory.listDomains()) console.log(d);
    } else throw new UsageError(`unknown domain action ${action}`);
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
