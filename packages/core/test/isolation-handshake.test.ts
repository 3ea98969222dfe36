/**
 * The handshake: a plugin process started by hand, or speaking another protocol version,
 * says so clearly and exits; the panel reports the mismatch and leaves no process behind.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiate, parseVersions, verifyHello } from '../src/isolation/handshake.js';
import {
  EXIT_CODES,
  IsolatedPlugin,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  PROTOCOL_VERSION,
  ProtocolMismatchError,
} from '../src/isolation/index.js';
import { alive, createTestHost, fixture, type TestHost } from './isolation-host.js';

const CHILD_MAIN = join(import.meta.dirname, '..', 'src', 'isolation', 'child-main.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function runChild(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD_MAIN], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('the plugin process on its own', () => {
  it('started by hand, explains what it is and exits 2', async () => {
    const { code, stderr } = await runChild({});
    expect(code).toBe(EXIT_CODES.NO_COOKIE);
    expect(stderr).toContain('This is a Web.Casa plugin process. It is not meant to be started by hand');
  });

  it('offered only versions it does not speak, names both sides and exits 3', async () => {
    const { code, stderr } = await runChild({
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      WEBCASA_PLUGIN_PROTOCOLS: '98,99',
    });
    expect(code).toBe(EXIT_CODES.PROTOCOL_MISMATCH);
    expect(stderr).toContain(
      `protocol version mismatch: the panel offers [98, 99], this process speaks [${PROTOCOL_VERSION}]`,
    );
  });

  it('with the cookie but no channel, exits 4', async () => {
    const { code, stderr } = await runChild({
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      WEBCASA_PLUGIN_PROTOCOLS: '1',
    });
    expect(code).toBe(EXIT_CODES.CHANNEL);
    expect(stderr).toMatch(/webcasa plugin process: .*(fd 3|channel)/);
  });
});

describe('negotiation', () => {
  it('picks the highest common version', () => {
    expect(negotiate(parseVersions('1, 2, x, 3'), [1, 2])).toBe(2);
    expect(negotiate([5], [1])).toBeUndefined();
  });

  it('the panel refuses a hello it did not ask for', () => {
    const hello = { cookie: MAGIC_COOKIE_VALUE, protocol: 2, pid: 1, node: 'v20' };
    expect(() => verifyHello('demo', hello, [1])).toThrow(ProtocolMismatchError);
    expect(() => verifyHello('demo', hello, [1])).toThrow(
      'plugin demo: its process chose protocol version 2, but the panel offered 1',
    );
    expect(() => verifyHello('demo', { protocol: 1 }, [1])).toThrow(/did not answer the handshake/);
    expect(verifyHello('demo', { ...hello, protocol: 1 }, [1]).pid).toBe(1);
  });
});

describe('the panel starting a process that speaks another version', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await createTestHost();
  });
  afterAll(async () => host?.close());

  it('reports WEBCASA_PLUGIN_PROTOCOL_MISMATCH with the child’s own words, and no process is left', async () => {
    const { manifest, serverEntry } = fixture('faulty');
    const states: string[] = [];
    const iso = new IsolatedPlugin({
      manifest,
      serverEntry,
      deps: host.deps,
      protocolVersions: [99],
      onStateChange: (state) => states.push(state),
    });
    const error = (await iso.setup().catch((e: unknown) => e)) as ProtocolMismatchError;
    expect(error.code).toBe('WEBCASA_PLUGIN_PROTOCOL_MISMATCH');
    expect(error.message).toContain(
      'plugin iso-faulty: the panel and its process share no protocol version (offered 99)',
    );
    expect(error.message).toContain('this process speaks [1]');
    expect(states).toEqual(['starting', 'failed']);
    expect(iso.pid).toBeNull();
    const pid = error.details?.pid as number;
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });
});
