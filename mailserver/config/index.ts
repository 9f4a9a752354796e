export { loadConfig, ConfigError } from './load.ts';
export { configSchema, ENV_NAMES, type Config } from './schema.ts';
