import type { TestProject } from 'vitest/node';
import { buildRuntimeFixture, buildTestShell, freshDir } from '../src/harness.js';

// The shell (with the bundled fixtures) and the run-time fixture's module are built once
// for every test file; each file starts its own panel and browser on them.
export default async function setup(project: TestProject): Promise<void> {
  await buildRuntimeFixture();
  const shell = await buildTestShell(freshDir('web'));
  project.provide('shell', JSON.parse(JSON.stringify(shell)));
}
