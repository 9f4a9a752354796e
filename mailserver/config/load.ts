import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, ENV_NAMES, type Config } from './schema.ts';

/** A setting that stops the start: `setting` names it the way the user wrote it. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly reason: string,
  ) {
    super(`configuration: ${setting} ${reason}`);
  }
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = (next && typeof next === 'object' ? next : (node[key] = {})) as Tree;
  }
  node[keys[keys.length - 1]!] = value;
}

function readFile(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('MAILWERK_CONFIG', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    const doc: unknown = parseYaml(text);
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('top level must be a mapping');
    return dropNulls(doc as Tree);
  } catch (err) {
    throw new ConfigError('MAILWERK_CONFIG', `${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The variable name for a config path, so errors name what the user most likely set. */
function settingName(path: string, fromEnv: Set<string>): string {
  // "relayNetworks.1" belongs to MAILWERK_RELAY_NETWORKS: match the setting that is a prefix of the path.
  const env = Object.entries(ENV_NAMES).find(([, p]) => path === p || path.startsWith(p + '.'))?.[0];
  return env && fromEnv.has(env) ? env : path;
}

/** A YAML key with only comments under it reads as null; treat it as not set. */
function dropNulls(tree: Tree): Tree {
  for (const [key, value] of Object.entries(tree)) {
    if (value === null) delete tree[key];
    else if (typeof value === 'object' && !Array.isArray(value)) dropNulls(value as Tree);
  }
  return tree;
}

/**
 * Merge the config file (MAILWERK_CONFIG or `file`) with MAILWERK_* variables and validate.
 * Throws ConfigError naming the first bad setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file?: string): Config {
  const path = file ?? env.MAILWERK_CONFIG;
  const tree: Tree = path ? readFile(path) : {};
  const fromEnv = new Set<string>();
  for (const [name, target] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    fromEnv.add(name);
    setPath(tree, target, value);
  }
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.join('.') || '(top level)';
    throw new ConfigError(settingName(where, fromEnv), issue.message);
  }
  return result.data;
}
