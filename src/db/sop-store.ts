// `sop_chunks`: SOP_DIR's markdown chunks and their full-text index. Only this module writes the table. Start-up
// replaces the whole set when it differs from the files (under an advisory lock, so replicas starting together do it
// once); the triage chain searches it for each ticket.
import type pg from 'pg';

export interface StoredSopChunk {
  id: string;
  title: string;
  content: string;
}

/** Serialises re-indexing between processes (any constant of our own; graphile-worker's locks use other keys). */
const INDEX_LOCK_KEY = 0x50_4f_50_31;

export function createSopStore(pool: pg.Pool) {
  return {
    /**
     * Makes the table hold exactly `chunks`, in one transaction; leaves it untouched when it already does.
     * Returns whether it wrote.
     */
    async replaceAll(chunks: StoredSopChunk[]): Promise<boolean> {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('select pg_advisory_xact_lock($1)', [INDEX_LOCK_KEY]);
        const { rows } = await client.query<StoredSopChunk>(
          'select id, title, content from sop_chunks order by id collate "C"',
        );
        if (sameChunks(rows, chunks)) {
          await client.query('commit');
          return false;
        }
        await client.query('delete from sop_chunks');
        if (chunks.length > 0) {
          await client.query(
            `insert into sop_chunks (id, title, content)
             select * from unnest($1::text[], $2::text[], $3::text[])`,
            [chunks.map((c) => c.id), chunks.map((c) => c.title), chunks.map((c) => c.content)],
          );
        }
        await client.query('commit');
        return true;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },

    /**
     * The k chunks that best match any of `terms` (ts_rank over the GIN-indexed vector). The terms are joined
     * with `or` for websearch_to_tsquery: a ticket's words rarely all appear in one SOP section.
     */
    async search(terms: string[], k: number): Promise<(StoredSopChunk & { rank: number })[]> {
      if (terms.length === 0 || k <= 0) return [];
      const { rows } = await pool.query<StoredSopChunk & { rank: number }>(
        `select id, title, content, ts_rank(search_vector, query) as rank
           from sop_chunks, websearch_to_tsquery('english', $1) as query
          where search_vector @@ query
          order by rank desc, id
          limit $2`,
        [terms.join(' or '), k],
      );
      return rows;
    },
  };
}

export type SopStore = ReturnType<typeof createSopStore>;

function sameChunks(stored: StoredSopChunk[], wanted: StoredSopChunk[]): boolean {
  if (stored.length !== wanted.length) return false;
  const sorted = [...wanted].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return stored.every(
    (s, i) => s.id === sorted[i]!.id && s.title === sorted[i]!.title && s.content === sorted[i]!.content,
  );
}
