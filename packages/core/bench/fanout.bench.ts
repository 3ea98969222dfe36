/**
 * Message fan-out: one `ctx.notify` reaching 200 browsers on `/ws/events`,
 * against a bare `ws` server broadcasting the same JSON to 200 clients in
 * the same process. Both measured as messages delivered per second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineServerPlugin, type PluginContext } from '@webcasa/plugin-sdk';
import WebSocket, { WebSocketServer } from 'ws';
import { startPanel } from '../src/server.js';
import { type Cleanup, median } from './util.js';

export interface FanoutResult {
  clients: number;
  messages: number;
  panelDeliveriesPerSec: number;
  baselineDeliveriesPerSec: number;
  ratio: number;
}

async function connectAll(url: string, n: number, headers: Record<string, string>): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i++) {
    const socket = new WebSocket(url, { headers });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    sockets.push(socket);
  }
  return sockets;
}

/** Send `messages` messages; resolve when every client has received all of them. */
async function deliver(
  sockets: WebSocket[],
  messages: number,
  send: (i: number) => Promise<void> | void,
): Promise<number> {
  let received = 0;
  const target = sockets.length * messages;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fan-out stalled at ${received}/${target}`)), 60_000);
    const onMessage = () => {
      received++;
      if (received === target) {
        clearTimeout(timer);
        resolve();
      }
    };
    for (const s of sockets) s.on('message', onMessage);
  });
  const start = performance.now();
  for (let i = 0; i < messages; i++) await send(i);
  await done;
  const seconds = (performance.now() - start) / 1000;
  for (const s of sockets) s.removeAllListeners('message');
  return target / seconds;
}

export async function runFanoutBench(
  options: { clients: number; messages: number; rounds: number },
  cleanup: Cleanup,
): Promise<FanoutResult> {
  const { clients, messages, rounds } = options;
  // Baseline: a bare ws server broadcasting a JSON payload of the same shape.
  const httpServer = createServer();
  const wss = new WebSocketServer({ server: httpServer });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  cleanup.add(() => new Promise<void>((r) => httpServer.close(() => r())));
  cleanup.add(() => wss.close());
  const baseUrl = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const baseSockets = await connectAll(baseUrl, clients, {});
  cleanup.add(() => {
    for (const s of baseSockets) s.terminate();
  });

  // The panel, with a plugin whose notify we call directly.
  const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-fanout-'));
  cleanup.add(() => rmSync(dataDir, { recursive: true, force: true }));
  let ctx: PluginContext | undefined;
  const panel = await startPanel({
    dataDir,
    port: 0,
    stdoutLogs: false,
    logLevel: 'fatal',
    onSetupToken: () => {},
    inlinePlugins: [
      {
        manifest: { id: 'notifier', name: 'Notifier', version: '1.0.0', engine: '^1.0.0' },
        plugin: defineServerPlugin({
          setup(c) {
            ctx = c;
          },
        }),
      },
    ],
  });
  cleanup.add(() => panel.stop());
  await panel.auth.createUser({ username: 'bench', password: 'bench-password-1', role: 'viewer' });
  const { token } = await panel.auth.login({
    username: 'bench',
    password: 'bench-password-1',
    ip: '127.0.0.1',
  });
  const panelSockets = await connectAll(`${panel.url.replace('http', 'ws')}/ws/events`, clients, {
    authorization: `Bearer ${token}`,
  });
  cleanup.add(() => {
    for (const s of panelSockets) s.terminate();
  });

  const baseRates: number[] = [];
  const panelRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    baseRates.push(
      await deliver(baseSockets, messages, (i) => {
        const text = JSON.stringify({
          type: 'panel.notification',
          payload: { plugin: 'notifier', id: i, title: `message ${i}`, priority: 'normal' },
          source: 'notifier',
          time: Date.now(),
        });
        for (const client of wss.clients) client.send(text);
      }),
    );
    panelRates.push(await deliver(panelSockets, messages, (i) => ctx!.notify({ title: `message ${i}` })));
  }
  const panelDeliveriesPerSec = median(panelRates);
  const baselineDeliveriesPerSec = median(baseRates);
  return {
    clients,
    messages,
    panelDeliveriesPerSec: Math.round(panelDeliveriesPerSec),
    baselineDeliveriesPerSec: Math.round(baselineDeliveriesPerSec),
    ratio: Math.round((panelDeliveriesPerSec / baselineDeliveriesPerSec) * 1000) / 1000,
  };
}
