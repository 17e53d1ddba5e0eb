// `service_state`: facts about this installation, set once. Only this module writes the table.
import type pg from 'pg';

/** When this installation first ran (set once, at start-up): the catch-up sweep never looks further back. */
export async function installationFloor(pool: Pick<pg.Pool, 'query'>): Promise<Date> {
  const { rows } = await pool.query<{ at: Date }>(
    `with ins as (insert into service_state (name) values ('first_started') on conflict (name) do nothing returning at)
     select at from ins union all select at from service_state where name = 'first_started' limit 1`,
  );
  return rows[0]!.at;
}
