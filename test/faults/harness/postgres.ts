// The fault suite's own PostgreSQL: an embedded server (src/db/embedded.ts) in a temporary directory that the harness
// can really stop (the postmaster gets SIGINT, a fast shutdown that ends every connection, and we wait for it to exit)
// and start again on the same port and data, while the service under test keeps running. One database per scenario.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type EmbeddedDatabase, isAlive, postmasterPid, startEmbeddedPostgres } from '../../../src/db/embedded.ts';
import { createLogger } from '../../../src/observability/logger.ts';

export interface FaultPostgres {
  port: number;
  /** URL of a database on this server. */
  urlOf(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** Stops the server process and waits until it is gone; throws if it is still alive. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  running(): boolean;
  /** Stops the server (if running) and removes its directory. */
  close(): Promise<void>;
}

const logger = createLogger({ level: 'warn' });

export async function startFaultPostgres(): Promise<FaultPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'triage-faults-pg-'));
  let server: EmbeddedDatabase | null = await startEmbeddedPostgres({ dataDir: root, logger });
  const { port } = server;
  const base = new URL(server.url);

  const urlOf = (database: string) => {
    const url = new URL(base);
    url.pathname = `/${database}`;
    return url.toString();
  };

  return {
    port,
    urlOf,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: urlOf('postgres') });
      await client.connect();
      try {
        await client.query(`create database "${name}"`);
      } finally {
        await client.end();
      }
      return urlOf(name);
    },
    async stop() {
      if (!server) return;
      const pid = await postmasterPid(server.dataDir);
      await server.stop();
      server = null;
      if (pid !== null && isAlive(pid)) throw new Error(`postgres ${pid} is still running after stop()`);
    },
    async start() {
      if (server) return;
      server = await startEmbeddedPostgres({ dataDir: root, logger, port });
    },
    running: () => server !== null,
    async close() {
      await server?.stop();
      server = null;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
