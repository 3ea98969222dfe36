import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PluginRuns, RunContext } from '@webcasa/plugin-sdk';
import type Docker from 'dockerode';
import { parse as parseYaml, stringify } from 'yaml';
import type { DeployStackInput, StackInfo, StackRunResult, StackService } from './api.js';
import { type ComposeCommand, runCompose } from './compose.js';
import { dockerHostEnv } from './connection.js';
import type { Engine } from './engine.js';
import { DockerApiError } from './errors.js';
import { envFileText, parseEnvFile, writeFileAtomic } from './files.js';
import { LABEL_MANAGED, LABEL_STACK, LABEL_STACK_OWNER } from './labels.js';
import { reviewCompose, unacceptedRisks } from './safety.js';

/**
 * Compose projects ("stacks") kept under `<dataDir>/stacks/<name>/`: the user's
 * `docker-compose.yml`, its `.env`, a generated `webcasa.override.yml` that labels every
 * container as the panel's, and `webcasa.json` (owner and times). Every change runs the
 * compose CLI as a plugin run whose log holds compose's output.
 */

export const STACK_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const COMPOSE_FILE = 'docker-compose.yml';
const OVERRIDE_FILE = 'webcasa.override.yml';
const META_FILE = 'webcasa.json';
const ENV_FILE = '.env';
const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';

export type StackAction = 'up' | 'start' | 'stop' | 'restart' | 'down' | 'pull';

interface StackMeta {
  owner: string;
  createdAt: number;
  updatedAt: number;
}

export interface StackDeps {
  dataDir: string;
  engine: Engine;
  runs: PluginRuns;
  compose(): Promise<ComposeCommand | null>;
}

export interface StartedRun {
  runId: string;
  done: Promise<StackRunResult>;
}

const ACTION_ARGS: Record<StackAction, string[]> = {
  up: ['up', '-d', '--remove-orphans'],
  start: ['start'],
  stop: ['stop'],
  restart: ['restart'],
  down: ['down', '--remove-orphans'],
  pull: ['pull'],
};

export class Stacks {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: StackDeps) {}

  dir(name: string): string {
    return join(this.deps.dataDir, 'stacks', name);
  }

  checkName(name: string, field = 'name'): void {
    if (typeof name !== 'string' || !STACK_NAME.test(name)) {
      throw new DockerApiError(
        400,
        'DOCKER_BAD_REQUEST',
        `${field}: a stack name is 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit`,
        field,
      );
    }
  }

  async exists(name: string): Promise<boolean> {
    return stat(join(this.dir(name), COMPOSE_FILE)).then(
      () => true,
      () => false,
    );
  }

  /**
   * Reviews, writes and `up -d`s a stack (new or changed). Throws before anything is written:
   * 400 for an invalid compose file, 422 `DOCKER_RISKS_NOT_ACCEPTED` with the findings when a
   * finding's rule is not in `acceptRisks`.
   */
  async deploy(
    input: DeployStackInput,
    options: { createdBy?: string; mode?: 'create' | 'update' | 'upsert' } = {},
  ): Promise<StartedRun> {
    this.checkName(input.name);
    const mode = options.mode ?? 'upsert';
    const exists = await this.exists(input.name);
    if (mode === 'create' && exists) {
      throw new DockerApiError(
        409,
        'DOCKER_STACK_EXISTS',
        `a stack named ${input.name} already exists`,
        'name',
      );
    }
    if (mode === 'update' && !exists) throw this.notFound(input.name);
    const env = input.env ?? {};
    for (const [k, v] of Object.entries(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        throw new DockerApiError(
          400,
          'DOCKER_BAD_REQUEST',
          `env.${k}: not a valid variable name`,
          `env.${k}`,
        );
      if (typeof v !== 'string' || /[\r\n\0]/.test(v))
        throw new DockerApiError(400, 'DOCKER_BAD_REQUEST', `env.${k}: must be one line of text`, `env.${k}`);
    }
    assertReviewed(input.compose, input.acceptRisks);
    const compose = await this.requireCompose();
    const dir = this.dir(input.name);
    const now = Date.now();
    const before = exists ? await this.readMeta(input.name) : null;
    const meta: StackMeta = {
      owner: input.owner ?? before?.owner ?? 'docker',
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    const parsed = parseYaml(input.compose, { merge: true }) as Record<string, unknown>;
    await writeFileAtomic(
      join(dir, COMPOSE_FILE),
      input.compose.endsWith('\n') ? input.compose : `${input.compose}\n`,
    );
    await writeFileAtomic(join(dir, ENV_FILE), envFileText(env), 0o600);
    await writeFileAtomic(join(dir, OVERRIDE_FILE), overrideText(parsed, input.name, meta.owner));
    await writeFileAtomic(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    const steps: StackAction[] = input.pull ? ['pull', 'up'] : ['up'];
    return this.startRun(
      `${exists ? 'Update' : 'Deploy'} stack ${input.name}`,
      input.name,
      compose,
      steps,
      options.createdBy,
    );
  }

  async action(name: string, action: StackAction, createdBy?: string): Promise<StartedRun> {
    this.checkName(name);
    if (!(await this.exists(name))) throw this.notFound(name);
    const compose = await this.requireCompose();
    const verb = action[0]?.toUpperCase() + action.slice(1);
    return this.startRun(`${verb} stack ${name}`, name, compose, [action], createdBy);
  }

  /** `down` (with `-v` to remove named volumes too), then deletes the project folder. */
  async remove(
    name: string,
    options: { removeVolumes?: boolean } = {},
    createdBy?: string,
  ): Promise<StartedRun> {
    this.checkName(name);
    if (!(await this.exists(name))) throw this.notFound(name);
    const compose = await this.requireCompose();
    return this.startRun(
      `Delete stack ${name}${options.removeVolumes ? ' and its volumes' : ''}`,
      name,
      compose,
      ['down'],
      createdBy,
      { extraDownArgs: options.removeVolumes ? ['-v'] : [], deleteAfter: true },
    );
  }

  async logs(name: string, options: { tail?: number; timestamps?: boolean } = {}): Promise<string> {
    this.checkName(name);
    if (!(await this.exists(name))) throw this.notFound(name);
    const compose = await this.requireCompose();
    const args = ['logs', '--no-color', `--tail=${Math.max(1, Math.min(options.tail ?? 200, 10_000))}`];
    if (options.timestamps) args.push('-t');
    const r = await runCompose(compose, args, this.composeOptions(name));
    if (r.code !== 0)
      throw new DockerApiError(
        502,
        'DOCKER_COMPOSE_FAILED',
        r.lines.slice(-5).join('\n') || `compose logs exited with ${r.code}`,
      );
    return r.stdout;
  }

  async get(name: string): Promise<StackInfo | null> {
    if (!STACK_NAME.test(name) || !(await this.exists(name))) return null;
    const docker = this.deps.engine.require();
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`${PROJECT_LABEL}=${name}`] },
    });
    return this.info(name, containers);
  }

  async list(): Promise<StackInfo[]> {
    const root = join(this.deps.dataDir, 'stacks');
    const names = (await readdir(root).catch(() => [] as string[])).filter((n) => STACK_NAME.test(n)).sort();
    if (names.length === 0) return [];
    const docker = this.deps.engine.require();
    const containers = await docker.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } });
    const out: StackInfo[] = [];
    for (const name of names) {
      if (!(await this.exists(name))) continue;
      out.push(
        await this.info(
          name,
          containers.filter((c) => c.Labels?.[PROJECT_LABEL] === name),
        ),
      );
    }
    return out;
  }

  /** The stored compose text and env, for editing. */
  async source(name: string): Promise<{ compose: string; env: Record<string, string> }> {
    this.checkName(name);
    if (!(await this.exists(name))) throw this.notFound(name);
    const dir = this.dir(name);
    const compose = await readFile(join(dir, COMPOSE_FILE), 'utf8');
    const env = parseEnvFile(await readFile(join(dir, ENV_FILE), 'utf8').catch(() => ''));
    return { compose, env };
  }

  private async info(name: string, containers: Docker.ContainerInfo[]): Promise<StackInfo> {
    const meta = await this.readMeta(name);
    let declared: string[] = [];
    let fileOk = true;
    try {
      const doc = parseYaml(await readFile(join(this.dir(name), COMPOSE_FILE), 'utf8'), { merge: true }) as {
        services?: Record<string, { image?: string }>;
      };
      declared = Object.keys(doc?.services ?? {});
    } catch {
      fileOk = false;
    }
    const byService = new Map<string, Docker.ContainerInfo[]>();
    for (const c of containers) {
      const svc = c.Labels?.[SERVICE_LABEL] ?? c.Names[0]?.replace(/^\//, '') ?? c.Id;
      byService.set(svc, [...(byService.get(svc) ?? []), c]);
    }
    const services: StackService[] = [];
    for (const svc of new Set([...declared, ...byService.keys()])) {
      const list = byService.get(svc) ?? [];
      if (list.length === 0) {
        services.push({
          name: svc,
          containerId: null,
          image: '',
          state: 'missing',
          status: 'not created',
          ports: [],
        });
      }
      for (const c of list) {
        services.push({
          name: svc,
          containerId: c.Id,
          image: c.Image,
          state: c.State,
          status: c.Status,
          ports: (c.Ports ?? [])
            .filter((p) => typeof p.PublicPort === 'number')
            .map((p) => ({
              host: p.IP ?? '',
              hostPort: p.PublicPort,
              containerPort: p.PrivatePort,
              protocol: p.Type,
            })),
        });
      }
    }
    const running = services.filter((s) => s.state === 'running').length;
    const state = !fileOk
      ? 'missing'
      : running > 0 && running === services.length
        ? 'running'
        : running > 0
          ? 'partial'
          : 'stopped';
    return { name, state, services, createdAt: meta.createdAt, updatedAt: meta.updatedAt, owner: meta.owner };
  }

  private async readMeta(name: string): Promise<StackMeta> {
    try {
      const m = JSON.parse(await readFile(join(this.dir(name), META_FILE), 'utf8')) as Partial<StackMeta>;
      return {
        owner: String(m.owner ?? 'docker'),
        createdAt: Number(m.createdAt) || 0,
        updatedAt: Number(m.updatedAt) || 0,
      };
    } catch {
      return { owner: 'docker', createdAt: 0, updatedAt: 0 };
    }
  }

  private notFound(name: string): DockerApiError {
    return new DockerApiError(404, 'DOCKER_STACK_NOT_FOUND', `no stack named ${name}`);
  }

  private async requireCompose(): Promise<ComposeCommand> {
    const compose = await this.deps.compose();
    if (!compose) {
      throw new DockerApiError(
        503,
        'DOCKER_COMPOSE_MISSING',
        'neither `docker compose` (v2) nor `docker-compose` (v1) is installed on this machine',
      );
    }
    this.deps.engine.require();
    return compose;
  }

  private composeOptions(name: string, run?: RunContext, onLine?: (l: string) => void) {
    const dir = this.dir(name);
    return {
      project: name,
      files: [join(dir, COMPOSE_FILE), join(dir, OVERRIDE_FILE)],
      projectDir: dir,
      env: dockerHostEnv(this.deps.engine.connectionConfig),
      ...(run ? { signal: run.signal } : {}),
      ...(onLine ? { onLine } : {}),
    };
  }

  /** Runs compose steps as one plugin run, one stack at a time; `done` resolves when it ends. */
  private async startRun(
    title: string,
    name: string,
    compose: ComposeCommand,
    steps: StackAction[],
    createdBy: string | undefined,
    extra: { extraDownArgs?: string[]; deleteAfter?: boolean } = {},
  ): Promise<StartedRun> {
    const tail: string[] = [];
    const { id } = await this.deps.runs.start(
      title,
      (run) =>
        this.locked(name, async () => {
          const services = await this.serviceCount(name);
          for (const [i, step] of steps.entries()) {
            const args = [...ACTION_ARGS[step], ...(step === 'down' ? (extra.extraDownArgs ?? []) : [])];
            run.log(`$ ${compose.argv.join(' ')} -p ${name} ${args.join(' ')}`);
            let seen = 0;
            const r = await runCompose(
              compose,
              args,
              this.composeOptions(name, run, (line) => {
                run.log(line);
                tail.push(line);
                if (tail.length > 50) tail.shift();
                if (
                  /\b(done|Started|Created|Running|Stopped|Removed|Pulled|Restarted|Healthy|Recreated)\b/i.test(
                    line,
                  )
                ) {
                  seen++;
                  run.progress((i + Math.min(0.95, seen / Math.max(1, services * 2))) / steps.length, line);
                }
              }),
            );
            if (run.signal.aborted) return;
            if (r.code !== 0) {
              const reason = r.lines
                .filter((l) => !/^\s*(Creating|Starting|Pulling|Stopping|Removing)\b.*\.\.\.\s*$/.test(l))
                .slice(-6)
                .join('\n');
              throw new Error(reason || `compose ${step} exited with status ${r.code}`);
            }
            run.progress((i + 1) / steps.length, `${step} done`);
          }
          if (extra.deleteAfter) {
            await rm(this.dir(name), { recursive: true, force: true });
            run.log(`deleted the project folder of ${name}`);
          }
        }),
      createdBy ? { createdBy } : undefined,
    );
    const done = this.deps.runs.wait(id).then(
      (info): StackRunResult => ({
        ok: info.status === 'succeeded',
        runId: id,
        ...(info.status === 'succeeded' ? {} : { error: info.error ?? `run ${info.status}` }),
        log: [...tail],
      }),
    );
    return { runId: id, done };
  }

  private async serviceCount(name: string): Promise<number> {
    try {
      const doc = parseYaml(await readFile(join(this.dir(name), COMPOSE_FILE), 'utf8'), { merge: true }) as {
        services?: Record<string, unknown>;
      };
      return Object.keys(doc?.services ?? {}).length || 1;
    } catch {
      return 1;
    }
  }

  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.locks.set(name, next);
    void next
      .finally(() => {
        if (this.locks.get(name) === next) this.locks.delete(name);
      })
      .catch(() => undefined);
    return next;
  }
}

/** Throws 400 for an invalid compose file and 422 with the findings not accepted. */
export function assertReviewed(compose: string, acceptRisks: readonly string[] = []): void {
  const review = reviewCompose(compose);
  if (review.errors.length > 0) {
    const first = review.errors[0];
    throw new DockerApiError(
      400,
      'DOCKER_COMPOSE_INVALID',
      `compose: ${first?.path ? `${first.path}: ` : ''}${first?.message ?? 'invalid'}`,
      'compose',
      { errors: review.errors },
    );
  }
  const open = unacceptedRisks(review, acceptRisks);
  if (open.length > 0) {
    throw new DockerApiError(
      422,
      'DOCKER_RISKS_NOT_ACCEPTED',
      `the compose file needs confirmation: ${[...new Set(open.map((f) => f.rule))].join(', ')} (pass them in acceptRisks)`,
      'acceptRisks',
      { findings: review.findings, rules: [...new Set(open.map((f) => f.rule))] },
    );
  }
}

/** The override file that labels every service's containers as the panel's. */
function overrideText(compose: Record<string, unknown>, name: string, owner: string): string {
  const services: Record<string, unknown> = {};
  for (const svc of Object.keys((compose.services as Record<string, unknown>) ?? {})) {
    services[svc] = { labels: { [LABEL_MANAGED]: '1', [LABEL_STACK]: name, [LABEL_STACK_OWNER]: owner } };
  }
  const out: Record<string, unknown> = {};
  // Compose v1 refuses to merge files of different format versions: copy the user's.
  if (compose.version !== undefined) out.version = String(compose.version);
  out.services = services;
  return `# Generated by Web.Casa: labels the stack's containers. Edited files are overwritten.\n${stringify(out)}`;
}
