import { bad, ok, type CommandContext, type Completion } from '../context.ts';
import { sendUpdates } from '../updates.ts';

/**
 * IDLE (RFC 2177): push mailbox changes as they happen until the client says DONE.
 * The change listener stays registered for the whole IDLE, so a change that lands while updates are
 * being sent is not missed: it leaves `pending` set and the loop goes round again.
 */
export async function idleCommand(ctx: CommandContext): Promise<Completion> {
  await ctx.connection.continuation('idling');
  // Changes since the last command completed are reported at once, not only after the next change.
  let pending = true;
  let wake: (() => void) | null = null;
  const unsubscribe = ctx.connection.onMailboxChange(() => {
    pending = true;
    wake?.();
  });
  let done = false;
  const line = ctx.connection.readLine().finally(() => {
    done = true;
    wake?.();
  });
  try {
    for (;;) {
      if (!pending && !done) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      if (done) break;
      pending = false;
      await sendUpdates(ctx, true);
      await ctx.out.flush();
    }
  } finally {
    unsubscribe();
  }
  const text = await line;
  if (text === null) return ok('Connection closed during IDLE');
  if (text.trim().toUpperCase() !== 'DONE') return bad('Expected DONE to end IDLE');
  return ok('Idle completed');
}
