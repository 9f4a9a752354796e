/**
 * Postfix's `smtp-sink` as the far end of relay mode: it accepts every message and throws it away, and with
 * `-c` prints running counters ("sess=N quit=N mesg=N", separated by CR), from which we read how many
 * messages arrived. `-M count` (exit after N messages) is not used: it drops the last connection before
 * answering, which a real client would treat as a failed delivery and retry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { alive, freePort, requireProgram, waitForGreeting } from './tools.ts';

export interface Sink {
  port: number;
  pid: number;
  /** Messages received so far (a "." was read). */
  received(): number;
  stop(): Promise<void>;
  killNow(): void;
}

export async function startSink(): Promise<Sink> {
  const bin = requireProgram('smtp-sink');
  const port = await freePort();
  // As root smtp-sink insists on dropping privileges (-u). Backlog 256, up to 1024 parallel sessions.
  const args = ['-c', '-m', '1024', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '256'];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let received = 0;
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output = (output + d.toString('latin1')).slice(-4096);
    const all = [...output.matchAll(/mesg=(\d+)/g)];
    const last = all[all.length - 1];
    if (last) received = Number(last[1]);
  });
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString('latin1')).slice(-4096)));
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start smtp-sink');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForGreeting('127.0.0.1', port, 10_000, () => alive(pid));
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`smtp-sink did not start: ${(err as Error).message}\n${output}`);
  }
  return {
    port,
    pid,
    received: () => received,
    async stop() {
      if (alive(pid)) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (alive(pid)) child.kill('SIGKILL');
    },
    killNow() {
      if (alive(pid)) child.kill('SIGKILL');
    },
  };
}
