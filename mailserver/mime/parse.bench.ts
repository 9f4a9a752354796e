/**
 * Parse throughput on a directory of raw messages (read-only; nothing is copied):
 *   node --import tsx mailserver/mime/parse.bench.ts [dir[,dir…]] [count] [minBytes] [maxBytes]
 * Reports milliseconds per message for parseMessage alone and with BODYSTRUCTURE + ENVELOPE serialisation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bodyStructureToImap, envelopeToImap } from './imap-serialize.ts';
import { parseMessageSync } from './parse.ts';

const dirs = (process.argv[2] ?? '/work/shared/corpus/ham').split(',');
const count = Number(process.argv[3] ?? 1000);
const minBytes = Number(process.argv[4] ?? 0);
const maxBytes = Number(process.argv[5] ?? Infinity);
const messages = dirs
  .flatMap((dir) => fs.readdirSync(dir).map((name) => path.join(dir, name)))
  .map((file) => fs.readFileSync(file))
  .filter((raw) => raw.length >= minBytes && raw.length <= maxBytes)
  .slice(0, count);
const bytes = messages.reduce((sum, m) => sum + m.length, 0);
console.log(`${messages.length} messages, average ${Math.round(bytes / messages.length)} bytes`);

function round(label: string, work: (raw: Buffer) => void): number {
  const start = performance.now();
  for (const raw of messages) work(raw);
  const perMessage = (performance.now() - start) / messages.length;
  console.log(`${label}: ${perMessage.toFixed(3)} ms/msg`);
  return perMessage;
}

for (let i = 0; i < 3; i++) round('warm-up parse', (raw) => parseMessageSync(raw));
const parseOnly = Math.min(...[1, 2, 3].map(() => round('parse', (raw) => parseMessageSync(raw))));
round('parse + BODYSTRUCTURE + ENVELOPE', (raw) => {
  const msg = parseMessageSync(raw);
  bodyStructureToImap(msg.root, true);
  envelopeToImap(msg.envelope);
});
console.log(`best parse: ${parseOnly.toFixed(3)} ms/msg = ${Math.round(1000 / parseOnly)} msg/s on one core`);
