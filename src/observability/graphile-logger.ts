// Routes graphile-worker's own log lines into our pino logger, so queue events share the JSON format and redaction.
import { Logger as GraphileLogger } from 'graphile-worker';
import type { Logger } from './logger.ts';

export function createGraphileLogger(logger: Logger): GraphileLogger {
  const queueLogger = logger.child({ component: 'queue' });
  return new GraphileLogger(() => (level, message, meta) => {
    // graphile-worker logs whole job payloads in some debug lines; keep only its message and job identifiers.
    const job = (meta as { job?: { id?: string; task_identifier?: string } } | undefined)?.job;
    const fields = { job_id: job?.id, task: job?.task_identifier };
    if (level === 'error') queueLogger.error(fields, message);
    else if (level === 'warning') queueLogger.warn(fields, message);
    else if (level === 'info') queueLogger.info(fields, message);
    else queueLogger.debug(fields, message);
  });
}
