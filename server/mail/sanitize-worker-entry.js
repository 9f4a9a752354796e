// Worker thread entry: the TypeScript sources need tsx's loader, which a worker does not inherit from
// `register()` in the main thread, so it registers its own before loading the real worker.
import { register } from 'tsx/esm/api';

register();
await import('./sanitize-worker.ts');
