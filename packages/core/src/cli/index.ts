import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PLUGIN_API_VERSION } from '@webcasa/plugin-sdk';
import { createAuthService } from '../auth/index.js';
import { openDatabase } from '../db/database.js';
import { errorMessage } from '../errors.js';
import { discoverPlugins } from '../plugins/discovery.js';
import { resolvePlugins } from '../plugins/resolver.js';
import { type Panel, type PanelOptions, startPanel } from '../server.js';
import { createSecretBox, loadOrCreateKey } from '../settings/secrets.js';
import { CORE_VERSION } from '../version.js';

/** What a distribution tells the CLI about itself. */
export interface Distribution {
  name?: string;
  version?: string;
  /** Plugin package names the distribution ships. */
  plugins?: string[];
  /** Where to resolve them from (the distribution's folder). */
  resolveFrom?: string;
  /** Extra options for `start`. */
  panel?: Partial<PanelOptions>;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

/**
 * Declare a distribution in `webcasa.config.ts`.
 *
 * @example
 * export default defineDistribution({ name: 'My Panel', plugins: ['@webcasa/plugin-docker'] });
 */
export function defineDistribution(distribution: Distribution): Distribution {
  return distribution;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async () => {
    if (process.stdin.isTTY) return '';
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

const HELP: Record<string, string> = {
  main: `Usage: webcasa <command> [options]

Commands:
  start                     Start the panel
  admin create              Create an administrator
  admin reset-password      Set a user's password
  plugin list               List plugins with their state
  plugin enable <id>        Enable a plugin (applied at the next start)
  plugin disable <id>       Disable a plugin (applied at the next start)
  run <plugin> <action>     Run a plugin action on a running panel and follow it

Global options:
  --data-dir <dir>          Data directory (env WEBCASA_DATA_DIR, default ./data)
  -h, --help                Show help for a command
  -v, --version             Print the version
`,
  start: `Usage: webcasa start [--port <n>] [--host <addr>] [--data-dir <dir>]

Start the panel. Defaults: port 39921 (env WEBCASA_PORT), host 127.0.0.1
(env WEBCASA_HOST), data dir ./data (env WEBCASA_DATA_DIR). With no
administrator yet, a one-time setup token is printed.
`,
  admin: `Usage:
  webcasa admin create --username <name> (--password-stdin | --password <pw>) [--role admin|operator|viewer]
  webcasa admin reset-password --username <name> (--password-stdin | --password <pw>)

--password-stdin reads the password from standard input (preferred: it stays
out of shell history and the process list).
`,
  run: `Usage: webcasa run <plugin> <action> [--input file.json | --input-json '{…}']
                   [--url <panel url>] [--token <api token>] [--no-follow]

Starts the action as a run on a running panel and prints its log until it
ends; exits 0 when it succeeded, 1 otherwise. The panel URL defaults to
env WEBCASA_URL or http://127.0.0.1:<WEBCASA_PORT or 39921>; the token to env
WEBCASA_TOKEN (create one in the panel or with POST /api/tokens).
`,
  plugin: `Usage:
  webcasa plugin list [--json]
  webcasa plugin enable <id> [--cascade]
  webcasa plugin disable <id> [--cascade]

enable/disable record the choice in the database; a running panel applies
such changes live through its API (POST /api/admin/plugins/<id>/enable).
`,
};

class UsageError extends Error {}

function dataDirOf(values: { 'data-dir'?: string }, io: CliIo): string {
  // Relative paths are taken from where the user ran the command; package
  // managers (pnpm webcasa …) change the working directory but keep INIT_CWD.
  const base = io.env.INIT_CWD ?? process.cwd();
  return resolve(base, values['data-dir'] ?? io.env.WEBCASA_DATA_DIR ?? './data');
}

async function readPassword(
  values: { password?: string; 'password-stdin'?: boolean },
  io: CliIo,
): Promise<string> {
  if (values['password-stdin']) {
    const text = (await io.readStdin()).replace(/\r?\n$/, '');
    if (!text) throw new UsageError('--password-stdin: nothing was read from standard input');
    return text;
  }
  if (values.password !== undefined) return values.password;
  throw new UsageError('give the password with --password-stdin (or --password)');
}

/**
 * Run the `webcasa` command line. Returns the exit code; `start` resolves only
 * when the panel stops (SIGINT/SIGTERM).
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { plugins: ['@webcasa/plugin-docker'] });
 */
export async function runCli(
  argv: string[],
  distribution: Distribution = {},
  io: CliIo = defaultIo,
): Promise<number> {
  try {
    return await dispatch(argv, distribution, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`webcasa: ${errorMessage(error)}\nRun "webcasa --help" for usage.\n`);
      return 2;
    }
    io.stderr(`webcasa: ${errorMessage(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: string[], distribution: Distribution, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    io.stdout(HELP.main!);
    return command ? 0 : 2;
  }
  if (command === '-v' || command === '--version') {
    io.stdout(
      `${distribution.name ?? 'webcasa'} ${distribution.version ?? CORE_VERSION} (core ${CORE_VERSION}, plugin API ${PLUGIN_API_VERSION})\n`,
    );
    return 0;
  }
  switch (command) {
    case 'start':
      return start(rest, distribution, io);
    case 'admin':
      return admin(rest, io);
    case 'plugin':
      return plugin(rest, distribution, io);
    case 'run':
      return runAction(rest, io);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function start(argv: string[], distribution: Distribution, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout(HELP.start!);
    return 0;
  }
  const portText = values.port ?? io.env.WEBCASA_PORT ?? '39921';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: "${portText}" is not a port number`);
  const panel: Panel = await startPanel({
    ...distribution.panel,
    dataDir: dataDirOf(values, io),
    port,
    host: values.host ?? io.env.WEBCASA_HOST ?? '127.0.0.1',
    plugins: distribution.plugins ?? [],
    resolveFrom: distribution.resolveFrom,
    version: distribution.version,
  });
  io.stdout(`Web.Casa is listening on ${panel.url}\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void panel.stop().then(done, done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

async function withAuth<T>(
  dataDir: string,
  fn: (auth: ReturnType<typeof createAuthService>) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(dataDir);
  try {
    const auth = createAuthService({ db: db.core, secrets: createSecretBox(loadOrCreateKey(dataDir)) });
    return await fn(auth);
  } finally {
    await db.close();
  }
}

async function admin(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '-h' || sub === '--help') {
    io.stdout(HELP.admin!);
    return sub ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      username: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      role: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout(HELP.admin!);
    return 0;
  }
  if (!values.username) throw new UsageError('--username is required');
  const username = values.username;
  const password = await readPassword(values, io);
  const dataDir = dataDirOf(values, io);
  if (sub === 'create') {
    const role = (values.role ?? 'admin') as 'admin' | 'operator' | 'viewer';
    if (!['admin', 'operator', 'viewer'].includes(role))
      throw new UsageError(`--role: "${role}" is not admin, operator or viewer`);
    const user = await withAuth(dataDir, (auth) => auth.createUser({ username, password, role }));
    io.stdout(`Created ${role} "${user.username}" (id ${user.id}).\n`);
    return 0;
  }
  if (sub === 'reset-password') {
    await withAuth(dataDir, async (auth) => {
      const user = (await auth.listUsers()).find((u) => u.username.toLowerCase() === username.toLowerCase());
      if (!user) throw new Error(`no user named "${username}"`);
      await auth.setPassword(user.id, password);
    });
    io.stdout(`Password of "${username}" changed; their sessions were signed out.\n`);
    return 0;
  }
  throw new UsageError(`unknown admin command "${sub}"`);
}

async function plugin(argv: string[], distribution: Distribution, io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '-h' || sub === '--help') {
    io.stdout(HELP.plugin!);
    return sub ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      cascade: { type: 'boolean' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout(HELP.plugin!);
    return 0;
  }
  const dataDir = dataDirOf(values, io);
  const discovered = discoverPlugins({
    packages: distribution.plugins ?? [],
    fromDir: distribution.resolveFrom ?? process.cwd(),
    dirs: distribution.panel?.pluginDirs ?? [],
    installedDir: join(dataDir, 'plugins'),
  });
  const db = await openDatabase(dataDir);
  try {
    const rows = await db.core.selectFrom('plugin_state').select(['id', 'enabled']).execute();
    const enabled = new Map(rows.map((r) => [r.id, r.enabled === 1]));
    const known = new Map(discovered.plugins.map((p) => [p.id, p]));

    if (sub === 'list') {
      const disabled = new Set([...known.keys()].filter((id) => enabled.get(id) === false));
      const resolved = resolvePlugins(discovered.plugins, { apiVersion: PLUGIN_API_VERSION, disabled });
      const skipped = new Map(resolved.skipped.map((s) => [s.id, s]));
      const items = discovered.plugins.map((p) => ({
        id: p.id,
        version: p.manifest.version,
        package: p.packageName,
        enabled: enabled.get(p.id) ?? true,
        state: disabled.has(p.id)
          ? 'disabled'
          : skipped.has(p.id)
            ? `error: ${skipped.get(p.id)!.message}`
            : 'ok',
      }));
      if (values.json) {
        io.stdout(`${JSON.stringify({ plugins: items, problems: discovered.problems }, null, 2)}\n`);
        return 0;
      }
      if (items.length === 0) io.stdout('No plugins found.\n');
      for (const item of items) io.stdout(`${item.id.padEnd(24)} ${item.version.padEnd(10)} ${item.state}\n`);
      for (const problem of discovered.problems)
        io.stdout(`${problem.packageName.padEnd(24)} ${'-'.padEnd(10)} error: ${problem.message}\n`);
      return 0;
    }
    if (sub === 'enable' || sub === 'disable') {
      const id = positionals[0];
      if (!id) throw new UsageError(`plugin ${sub}: which plugin? (webcasa plugin ${sub} <id>)`);
      if (!known.has(id)) throw new Error(`no plugin with id "${id}" (see webcasa plugin list)`);
      const targets = [id];
      const isOn = (pid: string) => enabled.get(pid) ?? true;
      if (sub === 'disable') {
        const dependents = discovered.plugins
          .filter((p) => id in p.manifest.dependencies && isOn(p.id))
          .map((p) => p.id);
        if (dependents.length && !values.cascade) {
          throw new Error(
            `plugin ${id} is needed by ${dependents.join(', ')}; disable them first or pass --cascade`,
          );
        }
        targets.push(...dependents);
      } else {
        const deps = Object.keys(known.get(id)!.manifest.dependencies).filter(
          (d) => known.has(d) && !isOn(d),
        );
        if (deps.length && !values.cascade) {
          throw new Error(
            `plugin ${id} needs ${deps.join(', ')}, which is disabled; enable it first or pass --cascade`,
          );
        }
        targets.push(...deps);
      }
      const now = Date.now();
      await db.core.transaction().execute(async (trx) => {
        for (const target of targets) {
          await trx
            .insertInto('plugin_state')
            .values({ id: target, enabled: sub === 'enable' ? 1 : 0, isolation: null, updated_at: now })
            .onConflict((oc) =>
              oc.column('id').doUpdateSet({ enabled: sub === 'enable' ? 1 : 0, updated_at: now }),
            )
            .execute();
        }
      });
      io.stdout(
        `${sub === 'enable' ? 'Enabled' : 'Disabled'} ${targets.join(', ')} (takes effect at the next start).\n`,
      );
      return 0;
    }
    throw new UsageError(`unknown plugin command "${sub}"`);
  } finally {
    await db.close();
  }
}

async function runAction(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      'input-json': { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      'no-follow': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout(HELP.run!);
    return 0;
  }
  const [pluginId, action] = positionals;
  if (!pluginId || !action)
    throw new UsageError('run: give the plugin and the action (webcasa run <plugin> <action>)');
  const token = values.token ?? io.env.WEBCASA_TOKEN;
  if (!token) throw new UsageError('run: an API token is needed (--token or env WEBCASA_TOKEN)');
  const base = (
    values.url ??
    io.env.WEBCASA_URL ??
    `http://127.0.0.1:${io.env.WEBCASA_PORT ?? '39921'}`
  ).replace(/\/+$/, '');
  let input: unknown = {};
  try {
    if (values.input)
      input = JSON.parse(await readFile(resolve(io.env.INIT_CWD ?? process.cwd(), values.input), 'utf8'));
    else if (values['input-json']) input = JSON.parse(values['input-json']);
  } catch (error) {
    throw new UsageError(`--input: ${errorMessage(error)}`);
  }
  const res = await fetch(`${base}/api/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ plugin: pluginId, action, input }),
  }).catch((error: unknown) => {
    throw new Error(`cannot reach the panel at ${base}: ${errorMessage(error)}`);
  });
  const answer = (await res.json().catch(() => ({}))) as { id?: string; error?: { message: string } };
  if (res.status !== 202 || !answer.id) {
    io.stderr(`webcasa: ${answer.error?.message ?? `the panel answered ${res.status}`}\n`);
    return 1;
  }
  io.stderr(`run ${answer.id} started\n`);
  if (values['no-follow']) {
    io.stdout(`${answer.id}\n`);
    return 0;
  }
  const { default: WebSocket } = await import('ws');
  const status = await new Promise<string>((resolveStatus, reject) => {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/runs/${answer.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    let final = 'unknown';
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        line?: string;
        level?: string;
        progress?: number;
        message?: string | null;
        run?: { status: string; error: string | null };
      };
      if (message.type === 'log') io.stdout(`${message.line}\n`);
      else if (message.type === 'progress') {
        io.stderr(`[${Math.round((message.progress ?? 0) * 100)}%] ${message.message ?? ''}\n`);
      } else if (message.type === 'status' && message.run) {
        final = message.run.status;
        if (message.run.error && final !== 'succeeded') io.stderr(`${final}: ${message.run.error}\n`);
      }
    });
    socket.once('close', () => resolveStatus(final));
    socket.once('error', reject);
  });
  io.stderr(`run ${answer.id} ${status}\n`);
  return status === 'succeeded' ? 0 : 1;
}
