import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { PluginSocket } from '@webcasa/plugin-sdk';
import { z } from 'zod';

export interface TerminalOptions {
  shell: string;
  user: string;
  idleMs: number;
  maxSessions: number;
  cwd: string;
}

export type TerminalSessionInfo = {
  sessionId: string;
  user: string;
  shell: string;
  runAs: string;
};

/** Who opened a session, and from where: the hooks pass it on to the audit log (the bus events carry only the name). */
export interface TerminalActor {
  id: number;
  username: string;
  /** The client's IP address as the panel records it for HTTP requests, or null when unknown. */
  ip: string | null;
}

export interface TerminalHooks {
  opened(info: TerminalSessionInfo, actor: TerminalActor): void;
  closed(info: TerminalSessionInfo & { reason: string; durationMs: number }, actor: TerminalActor): void;
}

interface Session {
  id: string;
  idleMs: number;
  kill(reason: string): void;
  lastActivity: number;
}

const message = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input'), data: z.string().max(65_536) }),
  z.object({
    type: z.literal('resize'),
    cols: z.number().int().min(2).max(1000),
    rows: z.number().int().min(2).max(500),
  }),
  z.object({ type: z.literal('ping') }),
]);

/** Look a user up with `id`; spawning as another user needs the panel to run as root. */
function idsOf(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', timeout: 2000 }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', timeout: 2000 }).trim());
  return { uid, gid };
}

/**
 * Shell sessions over WebSocket with node-pty. Protocol (JSON text frames):
 * client → `{type:'input',data}` | `{type:'resize',cols,rows}` | `{type:'ping'}`;
 * server → `{type:'ready',sessionId}` | `{type:'output',data}` | `{type:'exit',code,reason}` | `{type:'error',message}`.
 * Admins only; a session idle for `idleMs` is closed; `closeAll` ends every session (plugin stop).
 */
export class Terminals {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly options: () => Promise<TerminalOptions>,
    private readonly hooks: TerminalHooks,
  ) {}

  get count(): number {
    return this.sessions.size;
  }

  async handle(socket: PluginSocket): Promise<void> {
    if (socket.user.role !== 'admin') {
      socket.send(JSON.stringify({ type: 'error', message: 'the terminal needs the admin role' }));
      socket.close(4403, 'forbidden');
      return;
    }
    const opts = await this.options();
    if (this.sessions.size >= opts.maxSessions) {
      socket.send(
        JSON.stringify({ type: 'error', message: `at most ${opts.maxSessions} terminals may be open` }),
      );
      socket.close(4429, 'too many sessions');
      return;
    }
    if (!existsSync(opts.shell)) {
      socket.send(JSON.stringify({ type: 'error', message: `shell ${opts.shell} does not exist` }));
      socket.close(1011, 'no shell');
      return;
    }
    const pty = await import('node-pty');
    const cols = clampInt(socket.query.cols, 80, 2, 1000);
    const rows = clampInt(socket.query.rows, 24, 2, 500);
    const ids = opts.user ? idsOf(opts.user) : null;
    const term = pty.spawn(opts.shell, [], {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: opts.cwd,
      env: {
        ...process.env,
        TERM: 'xterm-256color',
        ...(opts.user ? { USER: opts.user, LOGNAME: opts.user } : {}),
      } as Record<string, string>,
      ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
    });
    const id = `s_${randomBytes(6).toString('hex')}`;
    const started = Date.now();
    const actor: TerminalActor = {
      id: socket.user.id,
      username: socket.user.username,
      ip: socket.ip ?? null,
    };
    const info: TerminalSessionInfo = {
      sessionId: id,
      user: socket.user.username,
      shell: opts.shell,
      runAs: opts.user || 'panel user',
    };
    let ended = false;
    let reason = 'closed by the client';
    const session: Session = {
      id,
      idleMs: opts.idleMs,
      lastActivity: Date.now(),
      kill: (why) => {
        reason = why;
        try {
          term.kill('SIGHUP');
        } catch {
          /* already gone */
        }
        finish(null);
      },
    };
    const finish = (code: number | null) => {
      if (ended) return;
      ended = true;
      this.sessions.delete(id);
      try {
        socket.send(JSON.stringify({ type: 'exit', code, reason }));
        socket.close(1000, reason.slice(0, 100));
      } catch {
        /* socket already closed */
      }
      this.hooks.closed({ ...info, reason, durationMs: Date.now() - started }, actor);
    };
    this.sessions.set(id, session);
    this.hooks.opened(info, actor);
    socket.send(JSON.stringify({ type: 'ready', sessionId: id }));
    term.onData((data) => {
      if (!ended) socket.send(JSON.stringify({ type: 'output', data }));
    });
    term.onExit(({ exitCode }) => {
      if (!ended) reason = 'shell exited';
      finish(exitCode);
    });
    socket.onMessage((raw) => {
      let parsed: z.infer<typeof message>;
      try {
        parsed = message.parse(JSON.parse(raw));
      } catch {
        socket.send(JSON.stringify({ type: 'error', message: 'bad message' }));
        return;
      }
      session.lastActivity = Date.now();
      if (parsed.type === 'input') term.write(parsed.data);
      else if (parsed.type === 'resize') term.resize(parsed.cols, parsed.rows);
    });
    socket.onClose(() => {
      if (!ended) session.kill('closed by the client');
    });
  }

  /** Close sessions without input for longer than their idle limit (called every 30 s by the plugin). */
  reap(now = Date.now()): number {
    let closed = 0;
    for (const session of [...this.sessions.values()]) {
      if (now - session.lastActivity > session.idleMs) {
        session.kill('idle timeout');
        closed++;
      }
    }
    return closed;
  }

  closeAll(reason: string): void {
    for (const session of [...this.sessions.values()]) session.kill(reason);
  }
}

function clampInt(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = Number(value);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback;
}
