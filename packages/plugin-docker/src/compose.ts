import { execFile, spawn } from 'node:child_process';

/**
 * The compose CLI: `docker compose` (v2, a plugin of the docker client) or `docker-compose`
 * (v1, the Python tool), whichever is installed — v2 first. Detected once per process.
 */

export interface ComposeCommand {
  kind: 'v2' | 'v1';
  /** The program and the arguments before compose's own (`['/usr/bin/docker', 'compose']`). */
  argv: string[];
  version: string;
}

/** What running `<cli> version` gave: exit status and output. */
export interface ProbeResult {
  ok: boolean;
  output: string;
}

/**
 * The version in `docker compose version` / `docker-compose version` output, or null when the
 * output is not compose's. v2: "Docker Compose version v2.29.1"; v1: "docker-compose version
 * 1.29.2, build unknown".
 */
export function parseComposeVersion(output: string): { kind: 'v2' | 'v1'; version: string } | null {
  const m = /docker[ -]compose version:?\s+v?(\d+\.\d+\.\d+[^\s,]*)/i.exec(output);
  if (!m?.[1]) return null;
  const version = m[1];
  return { kind: version.startsWith('1.') ? 'v1' : 'v2', version };
}

/** Picks the CLI from the two probes: v2 when it answers with a v2 version, else v1, else none. */
export function selectCompose(
  v2: ProbeResult,
  v1: ProbeResult,
  programs: { docker: string; dockerCompose: string } = DEFAULT_PROGRAMS,
): ComposeCommand | null {
  const a = v2.ok ? parseComposeVersion(v2.output) : null;
  if (a && a.kind === 'v2') return { kind: 'v2', argv: [programs.docker, 'compose'], version: a.version };
  const b = v1.ok ? parseComposeVersion(v1.output) : null;
  // A `docker-compose` binary may itself be v2 (the standalone build); it takes the same flags.
  if (b) return { kind: b.kind, argv: [programs.dockerCompose], version: b.version };
  return null;
}

/** The Debian client matching the engine; `/usr/local/bin/docker` may be a newer one. */
export const DEFAULT_PROGRAMS = { docker: '/usr/bin/docker', dockerCompose: 'docker-compose' };

function probe(file: string, args: string[]): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: 15_000, env: { ...process.env, DOCKER_CLI_HINTS: 'false' } },
      (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}\n${stderr}` }),
    );
  });
}

let detected: Promise<ComposeCommand | null> | undefined;

/** Detects the compose CLI once (the result is kept for the life of the process). */
export function detectCompose(programs = DEFAULT_PROGRAMS): Promise<ComposeCommand | null> {
  detected ??= (async () => {
    const v2 = await probe(programs.docker, ['compose', 'version']);
    const direct = selectCompose(v2, { ok: false, output: '' }, programs);
    if (direct) return direct;
    return selectCompose(v2, await probe(programs.dockerCompose, ['version']), programs);
  })();
  return detected;
}

// Colour codes, in case a compose version ignores `--ansi never`.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

export interface ComposeRunOptions {
  project: string;
  files: string[];
  projectDir: string;
  env: Record<string, string>;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * Runs one compose command; resolves with the exit code and every output line (stdout and
 * stderr interleaved as they come — compose writes its progress to stderr).
 */
export function runCompose(
  cmd: ComposeCommand,
  args: string[],
  options: ComposeRunOptions,
): Promise<{ code: number; lines: string[]; stdout: string }> {
  const global = ['--ansi', 'never', '-p', options.project, '--project-directory', options.projectDir];
  for (const f of options.files) global.push('-f', f);
  const [program = 'docker-compose', ...pre] = cmd.argv;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...pre, ...global, ...args], {
      cwd: options.projectDir,
      env: { ...process.env, ...options.env, COMPOSE_INTERACTIVE_NO_CLI: '1', DOCKER_CLI_HINTS: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let stdout = '';
    const split = (stream: NodeJS.ReadableStream, keep: boolean) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        if (keep) stdout += chunk;
        rest += chunk;
        const parts = rest.split(/\r?\n|\r/);
        rest = parts.pop() ?? '';
        for (const p of parts) emit(p);
      });
      stream.on('end', () => {
        if (rest) emit(rest);
      });
    };
    const emit = (line: string) => {
      const clean = line.replace(ANSI, '').trimEnd();
      if (!clean) return;
      lines.push(clean);
      if (lines.length > 2000) lines.shift();
      options.onLine?.(clean);
    };
    split(child.stdout, true);
    split(child.stderr, false);
    const abort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (e) => {
      options.signal?.removeEventListener('abort', abort);
      reject(e);
    });
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', abort);
      resolve({ code: code ?? 1, lines, stdout });
    });
  });
}
