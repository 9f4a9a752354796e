export * from './types.ts';
export type { SearchNode, UidRange, TextField } from './search.ts';
export { DAY_MS } from './search.ts';
export { SqliteStore } from './sqlite/store.ts';
export { normalizeMailboxName } from './names.ts';
export { normalizeFlags, SYSTEM_FLAGS } from './flags.ts';
