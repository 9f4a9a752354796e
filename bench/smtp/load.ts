/**
 * The load generator: Postfix's `smtp-source`, the same binary and arguments for every server, so neither
 * side benefits from a client written for it. It speaks HELO (no pipelining), sends From/To/Date/Message-Id
 * headers and `-l` bytes of body in 80-column lines, and exits non-zero at the first reply that is not the
 * expected positive one (no -A), so a refused message fails the run instead of being counted.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { requireProgram } from './tools.ts';
import type { LoadSpec } from './types.ts';

export function smtpSourceArgs(load: LoadSpec, recipient: string, host: string, port: number): string[] {
  return [
    '-s', String(load.sessions),
    '-m', String(load.messages),
    '-l', String(load.size),
    '-f', load.sender,
    '-t', recipient,
    ...(load.reuseConnections ? ['-d'] : []),
    `${host}:${port}`,
  ];
}

export interface LoadResult {
  /** Wall time from spawning smtp-source to its exit. */
  ms: number;
  command: string;
}

/** Runs smtp-source to completion; rejects on a non-zero exit (with its stderr) or after `timeoutMs`. */
export function runSmtpSource(load: LoadSpec, recipient: string, host: string, port: number, timeoutMs: number): Promise<LoadResult> {
  const bin = requireProgram('smtp-source');
  const args = smtpSourceArgs(load, recipient, host, port);
  const command = `smtp-source ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command}: still running after ${Math.round(timeoutMs / 1000)} s (--time-limit); killed`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      if (code === 0) resolve({ ms, command });
      else reject(new Error(`${command} failed (${signal ?? `exit ${code}`}):\n${stderr.trim()}`));
    });
  });
}
