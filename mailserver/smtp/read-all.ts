import type { Readable } from 'node:stream';

/** The whole DATA stream as one buffer (messages are bounded by SIZE). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
