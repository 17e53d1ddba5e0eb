// `cloud_token_usage`: cloud LLM tokens per UTC day, the shared counter behind CLOUD_DAILY_TOKEN_BUDGET. Only this
// module writes the table. A counter of its own rather than a sum over triage_runs: runs record the tokens of the
// provider whose answer was kept, not of a cloud answer that failed validation, and every worker process adds to it
// with one upsert.
import type pg from 'pg';

export function createTokenUsageStore(pool: Pick<pg.Pool, 'query'>) {
  return {
    /** Tokens counted for `day` (YYYY-MM-DD, UTC); 0 when nothing was. */
    async read(day: string): Promise<number> {
      const { rows } = await pool.query<{ tokens: string }>('select tokens from cloud_token_usage where day = $1', [
        day,
      ]);
      return rows[0] ? Number(rows[0].tokens) : 0;
    },

    /** Adds to the day's count atomically (concurrent workers never lose an update) and returns the new total. */
    async add(day: string, tokens: number): Promise<number> {
      const { rows } = await pool.query<{ tokens: string }>(
        `insert into cloud_token_usage (day, tokens) values ($1, $2)
         on conflict (day) do update set tokens = cloud_token_usage.tokens + excluded.tokens, updated_at = now()
         returning tokens`,
        [day, tokens],
      );
      return Number(rows[0]!.tokens);
    },
  };
}

export type TokenUsageStore = ReturnType<typeof createTokenUsageStore>;
