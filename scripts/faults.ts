// Fault-suite runner (`npm run test:faults [-- --short] [file...]`): runs test/faults/*.test.ts one file at a time
// under node's test runner (each file starts its own PostgreSQL and service processes), then prints every
// scenario's result line together. `--short` (or FAULTS=short) runs only the scenarios marked for CI.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const short = args.includes('--short') || process.env.FAULTS === 'short';
const named = args.filter((arg) => !arg.startsWith('--'));
const files =
  named.length > 0
    ? named
    : readdirSync('test/faults')
        .filter((name) => name.endsWith('.test.ts'))
        .sort()
        .map((name) => join('test/faults', name));

const resultsDir = mkdtempSync(join(tmpdir(), 'triage-faults-results-'));
const results = join(resultsDir, 'lines.txt');
const started = Date.now();
const env: NodeJS.ProcessEnv = { ...process.env, FAULTS_RESULTS: results, ...(short ? { FAULTS: 'short' } : {}) };
delete env.DATABASE_URL;

const code = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=240000', ...files],
    { stdio: 'inherit', env },
  );
  child.on('exit', (exitCode, signal) => resolve(signal ? 1 : (exitCode ?? 1)));
});

const lines = existsSync(results) ? readFileSync(results, 'utf8').trim().split('\n').filter(Boolean) : [];
rmSync(resultsDir, { recursive: true, force: true });
console.log(`\n# fault suite${short ? ' (short set)' : ''}: ${Math.round((Date.now() - started) / 1000)} s`);
for (const line of lines) console.log(line);
process.exit(code);
