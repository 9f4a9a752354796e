import fs from 'node:fs';
import path from 'node:path';
import { parseMessageSync } from './index.ts';
import { bodyStructureToImap, envelopeToImap } from './index.ts';
const dir = '/work/shared/corpus/' + (process.argv[2] ?? 'ham');
const files = fs.readdirSync(dir).slice(0, 1000).map((f) => fs.readFileSync(path.join(dir, f)));
console.log('messages', files.length, 'avg bytes', Math.round(files.reduce((a, b) => a + b.length, 0) / files.length));
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  for (const f of files) parseMessageSync(f);
  console.log('ms/msg', ((performance.now() - t) / files.length).toFixed(4));
}
let t = performance.now();
for (const f of files) { const p = parseMessageSync(f); bodyStructureToImap(p.root, true); envelopeToImap(p.envelope); }
console.log('parse+serialize ms/msg', ((performance.now() - t) / files.length).toFixed(4));
const stats = { multipart: 0, html: 0, attach: 0, noDate: 0, noSubject: 0, parts: 0 };
for (const f of files) {
  const p = parseMessageSync(f);
  if (p.root.type === 'multipart') stats.multipart++;
  if (p.sentDate === null) stats.noDate++;
  if (!p.subject) stats.noSubject++;
  if (p.hasAttachment) stats.attach++;
}
console.log(stats);
