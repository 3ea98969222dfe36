import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineServerPlugin } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../src/cli/index.js';
import { type Harness, startHarness } from './helpers.js';

let h: Harness;
let apiToken: string;
const dir = mkdtempSync(join(tmpdir(), 'webcasa-cli-run-'));

beforeAll(async () => {
  h = await startHarness([
    {
      manifest: {
        id: 'deployer',
        name: 'Deployer',
        version: '1.0.0',
        engine: '^1.0.0',
        actions: {
          deploy: {
            title: 'Deploy',
            input: { type: 'object', properties: { app: { type: 'string' } }, required: ['app'] },
          },
        },
      },
      plugin: defineServerPlugin({
        setup(ctx) {
          ctx.actions.handle<{ app: string }>('deploy', async ({ app }, run) => {
            run.log(`deploying ${app}`);
            run.progress(0.5, 'half way');
            if (app === 'broken') throw new Error('image not found');
            run.log('done');
          });
        },
      }),
    },
  ]);
  const created = await h.call('POST', '/api/tokens', { name: 'cli' });
  apiToken = created.body.token;
});
afterAll(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

function io(): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    stdout: (t: string) => {
      captured.out += t;
    },
    stderr: (t: string) => {
      captured.err += t;
    },
    readStdin: async () => '',
    env: { WEBCASA_URL: h.panel.url, WEBCASA_TOKEN: apiToken, INIT_CWD: dir },
  };
  return captured;
}

describe('webcasa run', () => {
  it('runs an action with input from a file, prints its log and exits 0 on success', async () => {
    writeFileSync(join(dir, 'input.json'), JSON.stringify({ app: 'blog' }));
    const out = io();
    expect(await runCli(['run', 'deployer', 'deploy', '--input', 'input.json'], {}, out)).toBe(0);
    expect(out.out).toBe('deploying blog\ndone\n');
    expect(out.err).toMatch(/succeeded/);
  });

  it('exits 1 with the error when the run fails, and when the input is refused', async () => {
    const failed = io();
    expect(await runCli(['run', 'deployer', 'deploy', '--input-json', '{"app":"broken"}'], {}, failed)).toBe(
      1,
    );
    expect(failed.err).toContain('image not found');
    const refused = io();
    expect(await runCli(['run', 'deployer', 'deploy', '--input-json', '{}'], {}, refused)).toBe(1);
    expect(refused.err).toContain('body.input.app');
  });

  it('needs a token, and says so', async () => {
    const out = io();
    out.env.WEBCASA_TOKEN = undefined;
    expect(await runCli(['run', 'deployer', 'deploy'], {}, out)).toBe(2);
    expect(out.err).toContain('token');
  });
});
