#!/usr/bin/env node
// Prints the tables of a results file again: node bench/show.mjs bench/out/results-….json [--markdown]
import { readFileSync } from 'node:fs';
import { report, sections } from './lib/report.mjs';
import { evaluateTargets } from './lib/targets.mjs';
import { markdownTable } from './lib/table.mjs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/show.mjs <results.json> [--markdown]\n');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
results.targets = evaluateTargets(results);
if (process.argv.includes('--markdown')) {
  for (const sec of sections(results)) {
    process.stdout.write(`\n#### ${sec.title}\n\n${sec.rows.length ? markdownTable(sec.headers, sec.rows) + '\n' : ''}`);
    for (const n of sec.notes ?? []) process.stdout.write(`- ${n}\n`);
    if (sec.scenario?.loadAtStart) process.stdout.write(`- ${sec.scenario.seconds} s; load average at its start ${sec.scenario.loadAtStart.join(' ')} (${results.machine.cpus} cores)\n`);
  }
} else process.stdout.write(report(results));
