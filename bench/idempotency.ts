// Latency of the idempotency store's hot calls, isTicketProcessed and claimTicket, over 10,000 sequential calls
// each, next to a bare `select 1` round trip on the same pool (the floor any query pays) measured in the same run.
// Run: npm run bench -- idempotency   (BENCH_N to change the count, BENCH_DATABASE_URL for an external server)
import { createTicketStore } from '../src/db/ticket-store.ts';
import { ms, openBenchDatabase, summarize, timeEach } from './lib.ts';

const N = Number(process.env.BENCH_N ?? 10_000);
const database = await openBenchDatabase(4);
try {
  const store = createTicketStore(database.db);
  // Warm up connections, plans and caches so the first calls do not dominate the tail.
  for (let i = 0; i < 500; i++) {
    await database.pool.query('select 1');
    await store.claimTicket({ ticketId: `warm-${i}`, portalId: '1' }, 'bench', 60_000);
    await store.isTicketProcessed({ ticketId: `warm-${i}`, portalId: '1' });
  }

  const baseline = summarize(await timeEach(N, () => database.pool.query('select 1')));
  // Half the checks hit existing rows, half miss.
  const check = summarize(
    await timeEach(N, (i) =>
      store.isTicketProcessed({ ticketId: i % 2 ? `warm-${i % 500}` : `absent-${i}`, portalId: '1' }),
    ),
  );
  const claimNew = summarize(
    await timeEach(N, (i) => store.claimTicket({ ticketId: `t-${i}`, portalId: '1' }, 'bench', 60_000)),
  );
  const claimHeld = summarize(
    await timeEach(N, (i) => store.claimTicket({ ticketId: `t-${i}`, portalId: '1' }, 'other', 60_000)),
  );

  console.log(`Idempotency store, ${N} sequential calls each, ${database.label}, Node ${process.version}\n`);
  console.log('| operation | p50 | p99 | mean | p50 / select 1 |');
  console.log('|---|---|---|---|---|');
  for (const [name, s] of [
    ['select 1 (baseline)', baseline],
    ['isTicketProcessed', check],
    ['claimTicket (new ticket, wins)', claimNew],
    ['claimTicket (held, loses)', claimHeld],
  ] as const) {
    console.log(`| ${name} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.mean)} | ${(s.p50 / baseline.p50).toFixed(2)}x |`);
  }
} finally {
  await database.release();
}
