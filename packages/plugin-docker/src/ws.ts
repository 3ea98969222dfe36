import { PassThrough } from 'node:stream';
import type { PluginContext, PluginSocket, RequestUser } from '@webcasa/plugin-sdk';
import type { Engine } from './engine.js';
import { engineMessage } from './errors.js';
import { lineSplitter } from './logs.js';
import { ENGINE_REF } from './routes/deps.js';
import { computeStats, type EngineStats } from './stats.js';

/**
 * Live views over WebSockets, all under `/ws/plugins/docker/containers/<id>/…`:
 * `logs` (follow, timestamps, tail), `stats` (a sample per second) and `exec` (a TTY in the
 * container, admins only). Messages are JSON: `{ type: 'log' | 'stats' | 'output' | 'exit' |
 * 'error' | 'ready', … }`.
 */

const RANK = { viewer: 0, operator: 1, admin: 2 } as const;

/** Like `ctx.requireScope` for sockets: the role and, for scoped tokens, the permission. */
export function socketAllowed(
  user: RequestUser,
  pluginId: string,
  scope: string,
  minRole: keyof typeof RANK,
): boolean {
  if (RANK[user.role] < RANK[minRole]) return false;
  if (!user.scopes) return true;
  return user.scopes.includes('*') || user.scopes.includes(`plugin:${pluginId}:${scope}`);
}

function containerId(socket: PluginSocket): string | null {
  const id = decodeURIComponent(socket.path.split('/')[5] ?? '');
  return ENGINE_REF.test(id) ? id : null;
}

const send = (socket: PluginSocket, m: unknown) => socket.send(JSON.stringify(m));
const fail = (socket: PluginSocket, message: string, code = 1011) => {
  send(socket, { type: 'error', message });
  socket.close(code, message.slice(0, 120));
};

export function wsRoutes(ctx: PluginContext, engine: Engine): void {
  ctx.ws.route('/containers/:id/logs', async (socket) => {
    if (!socketAllowed(socket.user, ctx.id, 'read', 'viewer')) return fail(socket, 'forbidden', 4403);
    const id = containerId(socket);
    if (!id) return fail(socket, 'not a container id', 4400);
    if (!engine.available) return fail(socket, 'Docker is not available', 4503);
    const container = engine.docker.getContainer(id);
    const q = socket.query;
    try {
      const info = await container.inspect();
      const tail = Math.min(10_000, Math.max(0, Number(q.tail ?? 200) || 0));
      const follow = q.follow !== '0' && q.follow !== 'false';
      const stream = (await container.logs({
        follow: true as const,
        stdout: true,
        stderr: true,
        timestamps: q.timestamps === '1' || q.timestamps === 'true',
        tail,
      })) as NodeJS.ReadableStream & { destroy(): void };
      let closed = false;
      socket.onClose(() => {
        closed = true;
        stream.destroy();
      });
      const out = (name: 'stdout' | 'stderr') => {
        const pass = new PassThrough();
        const split = lineSplitter((text) => !closed && send(socket, { type: 'log', stream: name, text }));
        pass.on('data', (c: Buffer) => split.push(c));
        pass.on('end', () => split.flush());
        return pass;
      };
      const stdout = out('stdout');
      const stderr = out('stderr');
      if (info.Config.Tty) stream.pipe(stdout);
      else engine.docker.modem.demuxStream(stream, stdout, stderr);
      stream.on('end', () => {
        stdout.end();
        stderr.end();
        if (!closed) {
          send(socket, { type: 'end' });
          socket.close(1000, 'log ended');
        }
      });
      send(socket, { type: 'ready', follow });
      // Without follow, the socket closes after the backlog: the engine ends the stream for a
      // stopped container; for a running one, stop after the tail has arrived.
      if (!follow) setTimeout(() => stream.destroy(), 1500);
    } catch (e) {
      fail(socket, engineMessage(e));
    }
  });

  ctx.ws.route('/containers/:id/stats', async (socket) => {
    if (!socketAllowed(socket.user, ctx.id, 'read', 'viewer')) return fail(socket, 'forbidden', 4403);
    const id = containerId(socket);
    if (!id) return fail(socket, 'not a container id', 4400);
    if (!engine.available) return fail(socket, 'Docker is not available', 4503);
    try {
      const stream = (await engine.docker
        .getContainer(id)
        .stats({ stream: true })) as unknown as NodeJS.ReadableStream & {
        destroy(): void;
      };
      let closed = false;
      socket.onClose(() => {
        closed = true;
        stream.destroy();
      });
      const split = lineSplitter((line) => {
        if (closed || !line.trim()) return;
        try {
          send(socket, { type: 'stats', stats: computeStats(JSON.parse(line) as EngineStats) });
        } catch {
          // a partial line: the splitter only hands whole lines, so this is a non-JSON line
        }
      });
      stream.on('data', (c: Buffer) => split.push(c));
      stream.on('end', () => !closed && socket.close(1000, 'stats ended'));
    } catch (e) {
      fail(socket, engineMessage(e));
    }
  });

  ctx.ws.route('/containers/:id/exec', async (socket) => {
    if (!socketAllowed(socket.user, ctx.id, 'exec', 'admin'))
      return fail(socket, 'the exec terminal is for admins', 4403);
    const id = containerId(socket);
    if (!id) return fail(socket, 'not a container id', 4400);
    if (!engine.available) return fail(socket, 'Docker is not available', 4503);
    const q = socket.query;
    let cmd: string[] = ['sh'];
    if (q.cmd) {
      try {
        const parsed = JSON.parse(q.cmd) as unknown;
        cmd = Array.isArray(parsed) ? parsed.map(String) : [String(parsed)];
      } catch {
        cmd = q.cmd.split(' ').filter(Boolean);
      }
    }
    const cols = Math.min(500, Math.max(10, Number(q.cols) || 80));
    const rows = Math.min(200, Math.max(5, Number(q.rows) || 24));
    try {
      const container = engine.docker.getContainer(id);
      const exec = await container.exec({
        Cmd: cmd,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: true,
        Env: ['TERM=xterm-256color'],
      });
      const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
      let closed = false;
      socket.onClose(() => {
        closed = true;
        stream.end();
        (stream as unknown as { destroy?(): void }).destroy?.();
      });
      socket.onMessage((data) => {
        let m: { type?: string; data?: string; cols?: number; rows?: number };
        try {
          m = JSON.parse(data);
        } catch {
          return;
        }
        if (m.type === 'input' && typeof m.data === 'string') stream.write(m.data);
        else if (m.type === 'resize' && Number(m.cols) > 0 && Number(m.rows) > 0) {
          exec
            .resize({ w: Math.min(500, Number(m.cols)), h: Math.min(200, Number(m.rows)) })
            .catch(() => undefined);
        }
      });
      stream.on('data', (c: Buffer) => !closed && send(socket, { type: 'output', data: c.toString('utf8') }));
      stream.on('end', async () => {
        if (closed) return;
        const info = await exec.inspect().catch(() => null);
        send(socket, { type: 'exit', code: info?.ExitCode ?? null });
        socket.close(1000, 'exec ended');
      });
      exec.resize({ w: cols, h: rows }).catch(() => undefined);
      // Who opened a shell in which container belongs in the audit log (when the panel has one).
      void Promise.resolve(
        ctx.core.audit?.({
          action: 'exec.opened',
          user: { id: socket.user.id, username: socket.user.username },
          detail: { container: id, cmd },
        }),
      ).catch(() => undefined);
      send(socket, { type: 'ready' });
    } catch (e) {
      fail(socket, engineMessage(e));
    }
  });
}
