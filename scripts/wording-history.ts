// `npx tsx scripts/wording-history.ts`: how the security net's learned signals would have met each held-out fifth.
// For every fifth: the net as it was when that fifth was first measured (its commit, unpacked from git), alone and
// OR-ed with a wording model trained on everything except that fifth; and the pages (incident readings) of that net,
// with and without the incident model trained on everything except that fifth holding them back. Needs the git
// history of this checkout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_EVAL_FILE, loadEvalSet } from '../src/eval/dataset.ts';
import { wordingExamples } from '../src/eval/wording-training.ts';
import { scoreWording, trainWordingModel } from '../src/triage/security/wording.ts';

// Each fifth (by id hundred) and the commit of the rules version it was measured against (eval/RESULTS.md).
const MEASURED_AGAINST: [string, string, string][] = [
  ['h0', 'c2549a6~1', 'rules-v2'],
  ['h1', 'd41754f', 'rules-v3'],
  ['h2', 'f9a87b0', 'rules-v4'],
  ['h3', 'a6a0a19', 'rules-v5'],
  ['h4', '5aaf5d9', 'rules-v6'],
  ['h5', '5757054', 'rules-v7'],
  ['h6', '5757054', 'rules-v7'],
  ['h7', '3ed9f1b', 'rules-v8'],
  ['h8', '3ed9f1b', 'rules-v8'],
  ['h9', '066b430', 'rules-v9'],
  ['h10', '066b430', 'rules-v9'],
  // rules-v10 and later already carried a wording kind, trained without these fifths: their column shows both.
  ['h11', 'd45cdbe', 'rules-v10'],
  ['h12', 'd45cdbe', 'rules-v10'],
  ['h13', 'd45cdbe', 'rules-v10'],
  ['h14', '6503d24', 'rules-v11'],
  ['h15', '6503d24', 'rules-v11'],
  ['h16', '6503d24', 'rules-v11'],
  ['h17', 'b570373', 'rules-v12'],
  ['h18', 'b570373', 'rules-v12'],
  ['h19', 'b570373', 'rules-v12'],
  ['h20', '918db14', 'rules-v13'],
  ['h21', '918db14', 'rules-v13'],
  ['h22', '918db14', 'rules-v13'],
  ['h23', '0e1eb6c', 'rules-v14'],
  ['h24', '0e1eb6c', 'rules-v14'],
  ['h25', '0e1eb6c', 'rules-v14'],
  ['h26', 'c12f73d', 'rules-v15'],
  ['h27', 'c12f73d', 'rules-v15'],
  ['h28', 'c12f73d', 'rules-v15'],
  ['h29', '5dbc9c4', 'rules-v16'],
  ['h30', '5dbc9c4', 'rules-v16'],
  ['h31', '5dbc9c4', 'rules-v16'],
  ['h32', 'd2f939c', 'rules-v17'],
  ['h33', 'd2f939c', 'rules-v17'],
  ['h34', 'd2f939c', 'rules-v17'],
  ['h35', '1cab0e2', 'rules-v18'],
  ['h36', '1cab0e2', 'rules-v18'],
  ['h37', '1cab0e2', 'rules-v18'],
];
const fifthOf = (id: string) => (id.startsWith('t') ? 't' : `h${Math.floor(Number(id.slice(1)) / 100)}`);

const set = await loadEvalSet(DEFAULT_EVAL_FILE);
const examples = new Map(set.tickets.map((t) => [t.id, wordingExamples([{ ...t, split: 'main' }])[0]!]));
// Each ticket read once: its incident example, or none where it accepts both high and critical.
const incidentExamples = new Map(
  set.tickets.map((t) => [t.id, wordingExamples([{ ...t, split: 'main' }], 'incident')[0]]),
);
const incidentOnly = (t: (typeof set.tickets)[number]) => !t.labels.priorities.includes('high');
const scratch = mkdtempSync(join(tmpdir(), 'wording-history-'));
const rate = (hits: number, of: number) => `${hits}/${of} (${((hits / of) * 100).toFixed(1)} %)`;
const total = { security: 0, net: 0, both: 0, other: 0, netFalse: 0, bothFalse: 0 };
const pages = { pages: 0, falsePages: 0, heldFalse: 0, incidents: 0, heldIncidents: 0 };
const pageRows: string[] = [];
try {
  console.log(
    '| fifth | net version | recall, net | recall, net or wording | false escalations, net | net or wording |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [fifth, commit, version] of MEASURED_AGAINST) {
    const dir = join(scratch, commit.replace(/\W/g, '_'));
    execFileSync('sh', ['-c', `mkdir -p '${dir}' && git archive ${commit} src | tar -x -C '${dir}'`]);
    const { detectSecuritySignal } = (await import(join(dir, 'src/triage/security/index.ts'))) as {
      detectSecuritySignal(subject: string, body: string): { escalate: boolean; incident?: boolean };
    };
    const tickets = set.tickets.filter((t) => fifthOf(t.id) === fifth);
    const others = set.tickets.filter((t) => fifthOf(t.id) !== fifth);
    const model = trainWordingModel(
      'security',
      others.map((t) => examples.get(t.id)!),
      `all but ${fifth}`,
    );
    const incidentModel = trainWordingModel(
      'incident',
      others.flatMap((t) => incidentExamples.get(t.id) ?? []),
      `all but ${fifth}`,
    );
    const page = { pages: 0, falsePages: 0, heldFalse: 0, incidents: 0, heldIncidents: 0 };
    const row = { security: 0, net: 0, both: 0, other: 0, netFalse: 0, bothFalse: 0 };
    for (const t of tickets) {
      const assessment = detectSecuritySignal(t.ticket.subject.trim(), t.ticket.body.trim());
      const net = assessment.escalate;
      const both = net || scoreWording(model, examples.get(t.id)!.clean).reached;
      if (assessment.incident) {
        const held = !scoreWording(incidentModel, examples.get(t.id)!.clean, false).reached;
        page.pages++;
        if (!t.labels.priorities.includes('critical')) {
          page.falsePages++;
          page.heldFalse += Number(held);
        } else if (incidentOnly(t)) {
          page.incidents++;
          page.heldIncidents += Number(held);
        }
      }
      if (t.labels.security) {
        row.security++;
        row.net += Number(net);
        row.both += Number(both);
      } else {
        row.other++;
        row.netFalse += Number(net);
        row.bothFalse += Number(both);
      }
    }
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += row[key];
    for (const key of Object.keys(pages) as (keyof typeof pages)[]) pages[key] += page[key];
    pageRows.push(pageRow(fifth, version, page));
    console.log(
      `| ${fifth} | ${version} | ${rate(row.net, row.security)} | ${rate(row.both, row.security)} | ` +
        `${row.netFalse}/${row.other} | ${row.bothFalse}/${row.other} |`,
    );
  }
  console.log(
    `| all | | ${rate(total.net, total.security)} | ${rate(total.both, total.security)} | ` +
      `${total.netFalse}/${total.other} | ${total.bothFalse}/${total.other} |`,
  );
  console.log(
    '\n| fifth | net version | pages (incident readings) | false pages | held back by incident wording | ' +
      'incidents (critical only) paged | held back |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const row of pageRows) console.log(row);
  console.log(pageRow('all', '', pages));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

function pageRow(fifth: string, version: string, p: typeof pages): string {
  return `| ${fifth} | ${version} | ${p.pages} | ${p.falsePages} | ${p.heldFalse} | ${p.incidents} | ${p.heldIncidents} |`;
}
