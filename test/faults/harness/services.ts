// The real service processes of a scenario: `triage serve` (on a fixed port, so a restart answers where HubSpot
// already sends) and `triage worker`, each spawned in its own process group with its own data directory, started
// with a deadline on their start-up line, and killable by signal. Records every kill for the post-then-crash count.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, jsonLine, type ServiceProcess, spawnService } from '../../helpers/process.ts';

export type Role = 'serve' | 'worker';

export interface ServiceHandle {
  role: Role;
  name: string;
  /** http://127.0.0.1:port for serve, null for worker. */
  url: string | null;
  proc: ServiceProcess;
  /** Ticket ids of this process's `pipeline.posted` lines so far. */
  notified(): string[];
  /** Sends `signal` to the process (SIGKILL goes to its whole group). */
  signal(signal: NodeJS.Signals): void;
  /** performance.now() of the last signal sent, or null. */
  killedAt: number | null;
  killedWith: NodeJS.Signals | null;
  /** SIGKILLs the group and removes the data directory (idempotent). */
  dispose(): void;
}

export async function startRole(
  role: Role,
  name: string,
  env: Record<string, string>,
  startTimeoutMs = 60_000,
): Promise<ServiceHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), `triage-faults-${role}-`));
  const proc = spawnService(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', role],
    cleanEnv({ ...env, DATA_DIR: dataDir }),
  );
  let disposed = false;
  const handle: ServiceHandle = {
    role,
    name,
    url: null,
    proc,
    killedAt: null,
    killedWith: null,
    notified: () =>
      proc.lines
        .map(jsonLine)
        .filter((r) => r?.msg === 'pipeline.posted')
        .map((r) => String(r?.ticket_id)),
    signal(signal) {
      handle.killedAt = performance.now();
      handle.killedWith = signal;
      try {
        if (signal === 'SIGKILL' && proc.child.pid) process.kill(-proc.child.pid, 'SIGKILL');
        else proc.child.kill(signal);
      } catch {
        // already gone
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      proc.killGroup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    const started = role === 'serve' ? 'service started' : 'worker started';
    const line = await proc.waitForLine((l) => jsonLine(l)?.msg === started, startTimeoutMs);
    if (role === 'serve') handle.url = String(jsonLine(line)?.url);
  } catch (error) {
    handle.dispose();
    throw error;
  }
  return handle;
}
