// Spawning the real service as a child process and waiting for what it prints, without sleeps: every wait is on an
// event (a log line, an exit) with a deadline that fails the test rather than hanging it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  /** Every stdout line printed so far. */
  lines: string[];
  stderr: () => string;
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  waitForExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the whole process group (the child and anything it started), for test clean-up. */
  killGroup(): void;
}

/** A minimal environment: PATH and HOME only, plus what the test passes. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

export function spawnService(command: string, args: string[], env: NodeJS.ProcessEnv): ServiceProcess {
  // Its own process group, so clean-up can reach grandchildren (npm → node → postgres) too.
  const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters: { predicate: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  return {
    child,
    lines,
    stderr: () => stderr,
    waitForLine(predicate, timeoutMs = 60_000) {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(`no matching line within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`),
          );
        }, timeoutMs);
        const waiter = {
          predicate,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.push(waiter);
        exited.then(() => {
          if (waiters.includes(waiter)) {
            clearTimeout(timer);
            reject(
              new Error(`process exited before the line appeared; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`),
            );
          }
        });
      });
    },
    killGroup() {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
    async waitForExit(timeoutMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const [code, signal] = await Promise.race([exited, timeout]);
        return { code, signal };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Parses a pino JSON line, or returns null for anything else. */
export function jsonLine(line: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(line);
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}
