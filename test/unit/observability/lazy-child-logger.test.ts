import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, lazyChildLogger } from '../../../src/observability/logger.ts';
import { createLogCapture } from '../../helpers/intake.ts';

test('the per-request logger writes what a pino child would, and nothing below the level', () => {
  const capture = createLogCapture();
  const parent = createLogger({ level: 'info', destination: capture.stream });
  const log = lazyChildLogger(parent, { request_id: 'r-1' }, {});
  log.debug({ route: '/x' }, 'too quiet');
  assert.equal(capture.lines.length, 0);
  log.info({ route: '/x', email: 'someone@example.com' }, 'http.request');
  const [record] = capture.records();
  assert.equal(record?.msg, 'http.request');
  assert.equal(record?.request_id, 'r-1');
  assert.equal(record?.route, '/x');
  assert.equal(record?.email, '[redacted]', 'the parent redaction applies');
  assert.equal(log.isLevelEnabled('debug'), false);
  assert.equal(log.level, 'info');
});

test('a level set on the per-request logger is its own, and its children carry both bindings', () => {
  const capture = createLogCapture();
  const parent = createLogger({ level: 'warn', destination: capture.stream });
  const log = lazyChildLogger(parent, { request_id: 'r-2' }, {});
  log.level = 'debug';
  log.debug('now written');
  parent.debug('still not written');
  log.child({ step: 'db' }).warn('nested');
  const records = capture.records();
  assert.deepEqual(
    records.map((r) => [r.msg, r.request_id, r.step]),
    [
      ['now written', 'r-2', undefined],
      ['nested', 'r-2', 'db'],
    ],
  );
  assert.equal(parent.level, 'warn');
});

test('child options (a route log level) give the real child at once', () => {
  const capture = createLogCapture();
  const parent = createLogger({ level: 'warn', destination: capture.stream });
  const log = lazyChildLogger(parent, { request_id: 'r-3' }, { level: 'debug' });
  log.debug('route level');
  assert.equal(capture.records()[0]?.request_id, 'r-3');
});
