import fc from 'fast-check';

/** One edit of a valid command line: flip a byte, cut it short, insert a protocol-significant token, repeat a stretch. */
export type Mutation = { kind: 'flip'; at: number; byte: number } | { kind: 'cut'; at: number } | { kind: 'insert'; at: number; text: string } | { kind: 'dup'; at: number };

/** Mutations whose insertions are the tokens that matter to the protocol under test. */
export function mutationArbitrary(insertions: string[]): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...insertions) }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat() }),
  );
}

/** Apply the edits to a seed command; the result stays one line (a line break would split it in two). */
export function mutate(seed: string, steps: Mutation[]): string {
  let text = seed;
  for (const step of steps) {
    const at = text.length ? step.at % text.length : 0;
    if (step.kind === 'flip') text = text.slice(0, at) + String.fromCharCode(step.byte) + text.slice(at + 1);
    else if (step.kind === 'cut') text = text.slice(0, at);
    else if (step.kind === 'insert') text = text.slice(0, at) + step.text + text.slice(at);
    else text = text.slice(0, at) + text.slice(at, at + 8) + text.slice(at);
  }
  return text.replace(/[\r\n]/g, ' ');
}
