import { bad, ok, type CommandContext, type Completion } from '../context.ts';
import { sendUpdates } from '../updates.ts';

/** IDLE (RFC 2177): push mailbox changes as they happen until the client says DONE. */
export async function idleCommand(ctx: CommandContext): Promise<Completion> {
  await ctx.connection.continuation('idling');
  const stop = new AbortController();
  const line = ctx.connection.readLine().finally(() => stop.abort());
  try {
    for (;;) {
      const changed = ctx.connection.waitForChange(stop.signal).then(() => 'change' as const);
      const event = await Promise.race([line.then(() => 'line' as const), changed]);
      if (event === 'line') break;
      await sendUpdates(ctx, true);
      await ctx.out.flush();
    }
  } finally {
    stop.abort();
  }
  const text = await line;
  if (text === null) return ok('Connection closed during IDLE');
  if (text.trim().toUpperCase() !== 'DONE') return bad('Expected DONE to end IDLE');
  return ok('Idle completed');
}
