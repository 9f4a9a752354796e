import { createInterface } from 'node:readline';

/** Read the whole of standard input (for --password-stdin); the trailing newline is not part of the password. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Ask for a password on the terminal without echoing it. */
export async function promptPassword(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('no terminal to ask for a password: use --password or --password-stdin');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void };
  let asking = true;
  output._writeToOutput = (s: string) => {
    if (!asking) process.stderr.write(s);
  };
  process.stderr.write(question);
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  asking = false;
  rl.close();
  process.stderr.write('\n');
  return answer;
}
