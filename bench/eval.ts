// `triage eval --provider rules` benchmark (issue 13: 200 tickets in under 3 s on this machine). Measures, in rounds:
// the command as a user runs it (a new process: tsx start-up, config, chain, every ticket, the JSON report) on the
// first 200 tickets of the set (the goal) and on the whole set, against two baselines from the same run — a process
// that only starts the CLI (`triage --version`) and, in-process, reading and validating the file alone — plus the
// in-process run of every ticket, to show where the time goes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config.ts';
import { restrictConfig } from '../src/eval/command.ts';
import { DEFAULT_EVAL_FILE, loadEvalSet } from '../src/eval/dataset.ts';
import { computeSplits } from '../src/eval/metrics.ts';
import { runTickets } from '../src/eval/run.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createChainFromConfig } from '../src/pipeline/wiring.ts';
import { ms, summarize } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const GOAL_MS = 3000;
const GOAL_TICKETS = 200;

/** CPU seconds (user + system) of this process's waited-for children, from /proc (Linux; null elsewhere). */
function childrenCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) / 100) * 1000; // cutime, cstime in clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
}

/** Wall and CPU time of one CLI process: on a machine shared with other work, CPU time is the steadier number. */
function timeProcess(args: string[]): { wall: number; cpu: number | null } {
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  const result = spawnSync(process.execPath, ['bin/triage.js', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`triage ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const cpuAfter = childrenCpuMs();
  return { wall: elapsed, cpu: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
}

async function main() {
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const chain = await createChainFromConfig(restrictConfig(loadConfig({}), 'rules', null), logger);
  const samples = {
    load: [] as number[],
    run: [] as number[],
    startup: [] as number[],
    command: [] as number[],
    goal: [] as number[],
    startupCpu: [] as number[],
    commandCpu: [] as number[],
    goalCpu: [] as number[],
  };
  const scratch = mkdtempSync(join(tmpdir(), 'bench-eval-'));
  const goalFile = join(scratch, 'first-200.jsonl');
  const lines = readFileSync(DEFAULT_EVAL_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  writeFileSync(goalFile, `${lines.slice(0, GOAL_TICKETS).join('\n')}\n`);
  let tickets = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t0 = performance.now();
    const set = await loadEvalSet(DEFAULT_EVAL_FILE);
    samples.load.push(performance.now() - t0);
    tickets = set.tickets.length;
    t0 = performance.now();
    computeSplits(await runTickets(chain, set.tickets, { concurrency: 2 }));
    samples.run.push(performance.now() - t0);
    const startup = timeProcess(['--version']);
    const command = timeProcess(['eval', '--provider', 'rules', '--json']);
    const goal = timeProcess(['eval', '--provider', 'rules', '--json', '--file', goalFile]);
    samples.startup.push(startup.wall);
    samples.command.push(command.wall);
    samples.goal.push(goal.wall);
    if (startup.cpu !== null && command.cpu !== null && goal.cpu !== null) {
      samples.startupCpu.push(startup.cpu);
      samples.commandCpu.push(command.cpu);
      samples.goalCpu.push(goal.cpu);
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  const row = (name: string, values: number[]) => {
    const s = summarize(values);
    return `| ${name} | ${ms(s.p50)} | ${ms(Math.min(...values))} | ${ms(Math.max(...values))} |`;
  };
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `Node ${process.version}, ${tickets} tickets, ${ROUNDS} rounds (median, min, max), load average ${load}.\n`,
  );
  console.log('| measured | median | min | max |');
  console.log('|---|---:|---:|---:|');
  console.log(row('baseline: read + validate the file (in-process)', samples.load));
  console.log(row('eval of every ticket + metrics, rules, in-process', samples.run));
  console.log(row('baseline: `triage --version` (process start-up)', samples.startup));
  console.log(row(`\`triage eval --provider rules --json\`, first ${GOAL_TICKETS} tickets`, samples.goal));
  console.log(row(`\`triage eval --provider rules --json\`, all ${tickets} tickets`, samples.command));
  if (samples.commandCpu.length > 0) {
    console.log(row('baseline: `triage --version`, CPU time', samples.startupCpu));
    console.log(row(`\`triage eval --provider rules --json\`, first ${GOAL_TICKETS}, CPU time`, samples.goalCpu));
    console.log(row(`\`triage eval --provider rules --json\`, all ${tickets}, CPU time`, samples.commandCpu));
  }
  const median = summarize(samples.goal).p50;
  const cpu = samples.goalCpu.length > 0 ? summarize(samples.goalCpu).p50 : null;
  const verdict = (value: number) => (value < GOAL_MS ? 'under' : 'OVER');
  console.log(
    `\n${GOAL_TICKETS} tickets, whole command: median ${(median / 1000).toFixed(2)} s wall (${verdict(median)} the ${GOAL_MS / 1000} s goal)` +
      (cpu === null
        ? ''
        : `, ${(cpu / 1000).toFixed(2)} s CPU (${verdict(cpu)}; about the wall time on an idle machine)`) +
      `; process start-up alone is ${((summarize(samples.startup).p50 / median) * 100).toFixed(0)} % of the wall time.`,
  );
}

await main();
