#!/usr/bin/env node
// Print one table of the latest benchmark results of every package:
// reads <packages|apps>/*/bench/.results/latest.json (written by each package's
// `bench` script) and shows its `rows` ({ bench, metric, value, baseline, ratio, goal }).
// Packages without such a file are skipped. Usage: node tooling/scripts/bench-report.mjs
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const files = ['packages', 'apps']
  .flatMap((group) =>
    existsSync(join(root, group)) ? readdirSync(join(root, group)).map((d) => join(root, group, d)) : [],
  )
  .map((dir) => join(dir, 'bench', '.results', 'latest.json'))
  .filter((file) => existsSync(file));

if (files.length === 0) {
  console.log('no benchmark results yet: run `pnpm bench` first');
  process.exit(0);
}

const header = ['package', 'bench', 'metric', 'value', 'baseline', 'ratio', 'goal'];
const table = [];
for (const file of files) {
  let result;
  try {
    result = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`${relative(root, file)}: unreadable (${error.message})`);
    continue;
  }
  const name = result.package ?? relative(root, file);
  console.log(
    `${name}: ${result.at ?? '?'} (node ${result.node ?? '?'}, ${result.cores ?? '?'} cores${result.quick ? ', quick' : ''})`,
  );
  for (const r of Array.isArray(result.rows) ? result.rows : []) {
    table.push([
      name,
      r.bench,
      r.metric,
      String(r.value),
      String(r.baseline ?? '-'),
      r.ratio == null ? '-' : Number(r.ratio).toFixed(3),
      r.goal ?? '',
    ]);
  }
}

const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const fmt = (cells) =>
  cells
    .map((c, i) => (i >= 3 && i <= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
    .join('  ')
    .trimEnd();
console.log(`\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const row of table) console.log(fmt(row));
