#!/usr/bin/env node
// The core's own CLI, without a distribution's plugins. Distributions ship their own bin.
import { runCli } from '../dist/cli/index.js';

process.exitCode = await runCli(process.argv.slice(2));
