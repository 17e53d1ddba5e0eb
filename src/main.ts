// The entry point (`npm start`, bin/triage.js): reads the environment and `.env`, runs the command, and owns the
// process: its exit code, its signal handlers, its exit.
import dotenv from 'dotenv';
import { runCli } from './cli.ts';
import { OperatorError } from './domain/operator-error.ts';
import type { Logger } from './observability/logger.ts';
import type { Service } from './service.ts';

/** Runs a started service until SIGTERM/SIGINT, then stops it and exits 0 (1 if stopping failed). */
export function runUntilSignal(service: Service, logger: Logger): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) return;
    received = true;
    logger.info({ signal }, 'signal received');
    service.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

const env: Record<string, string | undefined> = { ...process.env };
dotenv.config({ processEnv: env as Record<string, string>, quiet: true });
runCli(process.argv.slice(2), env).then(
  (result) => {
    if (typeof result === 'number') process.exitCode = result;
    else runUntilSignal(result.service, result.logger);
  },
  (error) => {
    // Errors written for operators (a port in use, a locked data directory) read best without a stack trace.
    const known = error instanceof OperatorError;
    process.stderr.write(`${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
    process.exitCode = 1;
  },
);
