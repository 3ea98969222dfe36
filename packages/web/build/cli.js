#!/usr/bin/env node
// `pnpm --filter @webcasa/web build`: the shell with no bundled plugins, into dist/.
import { buildShell } from './index.js';

const started = performance.now();
const result = await buildShell({ logLevel: 'warn' });
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `built ${result.outDir} in ${Math.round(performance.now() - started)} ms: first page ${kb(result.initial.jsGzipBytes)} JS + ${kb(result.initial.cssGzipBytes)} CSS gzipped`,
);
