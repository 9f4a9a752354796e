import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the running server bound, so tests and tools can find ports chosen with 0. */
export interface BoundPorts {
  pid: number;
  listen: string;
  ports: Record<string, number>;
}

export const PORTS_FILE = 'ports.json';

export function writePortsFile(dataDir: string, bound: BoundPorts): void {
  const path = join(dataDir, PORTS_FILE);
  writeFileSync(path + '.tmp', JSON.stringify(bound, null, 2) + '\n');
  renameSync(path + '.tmp', path);
}

