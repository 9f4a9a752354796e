/**
 * One measurement of one server, the same for every server and mode:
 *
 *   start the server -> prepare() -> sync + settle -> [clock starts] smtp-source -> accepted
 *   -> wait until all messages are verified at the destination -> delivered [clock stops] -> stop the server
 *
 * The server is stopped (and its temp dir removed) whatever happens.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { runSmtpSource } from './load.ts';
import { sampleMemory } from './memory.ts';
import type { LoadSpec, Measurement, Mode, ServerName, SmtpTarget, Unavailable } from './types.ts';

export interface MeasureOptions {
  server: ServerName;
  mode: Mode;
  run: number;
  load: LoadSpec;
  start: () => Promise<SmtpTarget | Unavailable>;
  /** Memory sampling interval; 0 disables. */
  sampleMs: number;
  /** Fail when the delivered count stops growing for this long. */
  stallMs: number;
  /** Kill smtp-source after this long. */
  timeLimitMs: number;
  log: (line: string) => void;
  /** Registers the running target so a signal handler can kill it. */
  track: (t: SmtpTarget | undefined) => void;
}

export async function measure(o: MeasureOptions): Promise<Measurement | Unavailable> {
  const target = await o.start();
  if ('unavailable' in target) return target;
  o.track(target);
  try {
    await target.prepare();
    // Write back what earlier runs (and this server's start) left dirty, so that background writeback does
    // not land on this measurement's fsyncs.
    spawnSync('sync');
    await sleep(1000);

    // Other work on the machine skews the figures; the 1-minute load average before and after says how much.
    const loadBefore = loadavg()[0] ?? 0;
    const memory = sampleMemory(target.pid, o.sampleMs);
    const t0 = performance.now();
    let load;
    try {
      load = await runSmtpSource(o.load, target.recipient, target.host, target.port, o.timeLimitMs);
    } catch (err) {
      memory.stop();
      throw new Error(`${(err as Error).message}\n--- ${o.server} log ---\n${target.logTail()}`);
    }
    o.log(`[${o.server}] smtp-source done in ${(load.ms / 1000).toFixed(2)} s; waiting for delivery`);
    let delivered: number;
    try {
      delivered = await target.waitDelivered(o.load.messages, o.stallMs);
    } catch (err) {
      memory.stop();
      throw new Error(`${(err as Error).message}\n--- ${o.server} log ---\n${target.logTail()}`);
    }
    const deliveredMs = performance.now() - t0;
    const peak = memory.stop();
    const storedBytesPerMessage = await target.storedBytesPerMessage();
    if (delivered !== o.load.messages) {
      throw new Error(`${o.server}: ${delivered} messages at the destination, ${o.load.messages} sent (duplicates?)`);
    }
    return {
      server: o.server,
      mode: o.mode,
      run: o.run,
      acceptedMs: load.ms,
      deliveredMs,
      delivered,
      expected: o.load.messages,
      storedBytesPerMessage,
      peak,
      describe: [
        ...target.describe,
        ...target.notes(delivered),
        `load: ${load.command}`,
        `machine: 1-min load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after (includes this load)`,
      ],
    };
  } finally {
    await target.stop();
    o.track(undefined);
  }
}
