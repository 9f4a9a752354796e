/**
 * Structured logs: one JSON object per line on stdout. Callers pass facts (ids, addresses,
 * counts, reasons) — never passwords, tokens or message bodies; there is no field that takes them.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. the connection id). */
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

export function createLogger(
  level: LogLevel = 'info',
  base: LogFields = {},
  sink: LogSink = (line) => process.stdout.write(line + '\n'),
): Logger {
  const write = (lvl: LogLevel, event: string, fields?: LogFields) => {
    if (RANK[lvl] < RANK[level]) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...base, ...fields }));
  };
  return {
    debug: (e, f) => write('debug', e, f),
    info: (e, f) => write('info', e, f),
    warn: (e, f) => write('warn', e, f),
    error: (e, f) => write('error', e, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink),
  };
}

