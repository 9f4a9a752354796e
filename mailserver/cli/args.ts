/** Minimal argv split: positionals and --flags (a flag takes the next word as value unless it is boolean). */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], booleanFlags: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('--')) {
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    if (eq > 0) {
      flags.set(word.slice(2, eq), word.slice(eq + 1));
    } else if (booleanFlags.has(word.slice(2))) {
      flags.set(word.slice(2), true);
    } else {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`${word} needs a value`);
      flags.set(word.slice(2), value);
      i++;
    }
  }
  return { positionals, flags };
}

export class UsageError extends Error {}
