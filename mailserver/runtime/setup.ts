import type { Config } from '../config/index.ts';
import type { DkimKeys } from '../dkim/keys.ts';
import { generatePassword, type Directory } from '../directory/index.ts';
import type { Logger } from '../log/logger.ts';
import type { MailStore } from '../store/index.ts';

/**
 * First start: the first mail domain, its DKIM key, and postmaster@ it. The generated password is printed once to the
 * terminal (not to the structured log, which may be shipped elsewhere).
 */
export async function firstStart(config: Config, directory: Directory, store: MailStore, dkim: DkimKeys, log: Logger): Promise<void> {
  if (!(await directory.hasDomain(config.domain))) {
    await directory.addDomain(config.domain);
    log.info('domain.created', { domain: config.domain });
  }
  // Every local domain signs its outgoing mail; domains from before DKIM get their key now.
  for (const domain of await directory.listDomains()) {
    if ((await directory.getDomain(domain))?.relay === null) dkim.ensure(domain);
  }
  const postmaster = `postmaster@${config.domain}`;
  let account = await directory.findAccount(postmaster);
  if (!account) {
    const password = config.adminPassword ?? generatePassword();
    account = await directory.addAccount(postmaster, password);
    log.info('account.created', { address: postmaster, generatedPassword: !config.adminPassword });
    if (!config.adminPassword) {
      process.stderr.write(`\nMailwerk created ${postmaster} with the password: ${password}\n(This is shown only once.)\n\n`);
    }
  }
  await store.ensureAccount(account.id, account.quotaBytes);
}
