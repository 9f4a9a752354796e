import { StoreError } from '../../store/types.ts';
import { no, type Completion } from '../context.ts';

/** Store errors become NO with the matching response code; anything else is a server fault. */
export function storeFailure(error: unknown): Completion {
  if (error instanceof StoreError) {
    const code = { NONEXISTENT: 'NONEXISTENT', ALREADYEXISTS: 'ALREADYEXISTS', OVERQUOTA: 'OVERQUOTA', CANNOT: 'CANNOT', TOOBIG: 'TOOBIG', INUSE: 'INUSE' }[error.code];
    return no(error.message, code);
  }
  throw error;
}

/** Run a store call, turning its StoreError into a NO completion. */
export async function guarded(fn: () => Promise<Completion>): Promise<Completion> {
  try {
    return await fn();
  } catch (error) {
    return storeFailure(error);
  }
}
