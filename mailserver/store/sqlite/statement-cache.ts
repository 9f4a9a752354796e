import type { Database, Statement } from 'better-sqlite3';

/** Statements prepared once per SQL text, for code that runs the same lookups all day (RCPT TO, the queue). */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  get(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
