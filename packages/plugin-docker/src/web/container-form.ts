/**
 * The "Create container" form's text fields turned into the `POST /containers` body. Pure (no
 * DOM), so the parsing is tested on its own. Errors are keyed by the form field they belong to,
 * with an i18n key and its parameters.
 */

export interface ContainerFormValues {
  image: string;
  name: string;
  command: string;
  env: string;
  ports: string;
  volumes: string;
  restart: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  /** MiB, as typed. */
  memory: string;
  cpus: string;
  start: boolean;
}

export type FormField = Exclude<keyof ContainerFormValues, 'start'>;

export interface FormProblem {
  key: string;
  params?: Record<string, unknown>;
}

export interface CreateContainerBody {
  image: string;
  name?: string;
  cmd?: string[];
  env?: Record<string, string>;
  ports?: { host: string; hostPort: number; containerPort: number; protocol: 'tcp' | 'udp' }[];
  volumes?: { source: string; target: string; readOnly: boolean }[];
  limits?: { memory?: number; cpus?: number };
  restart?: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  start: boolean;
  acceptRisks?: string[];
}

export const emptyContainerForm = (): ContainerFormValues => ({
  image: '',
  name: '',
  command: '',
  env: '',
  ports: '',
  volumes: '',
  restart: '',
  memory: '',
  cpus: '',
  start: true,
});

const MiB = 1024 * 1024;

/** Non-empty lines with their 1-based line numbers. */
function lines(text: string): [number, string][] {
  return text
    .split(/\r?\n/)
    .map((l, i) => [i + 1, l.trim()] as [number, string])
    .filter(([, l]) => l !== '');
}

/**
 * Splits a command line into arguments: spaces separate, single and double quotes keep spaces,
 * a backslash escapes the next character (outside single quotes). A JSON array is taken as is.
 * Answers null for an unclosed quote.
 */
export function splitCommand(text: string): string[] | null {
  const s = text.trim();
  if (s.startsWith('[')) {
    try {
      const parsed = JSON.parse(s) as unknown;
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // Not JSON: read it as words.
    }
  }
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else cur += ch;
    } else if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) return null;
  if (has) out.push(cur);
  return out;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// [ip:]host:container[/proto]; an IPv6 address goes in brackets.
const PORT = /^(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/i;

const port = (s: string) => {
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : null;
};

/** The request body, or the problems per field. */
export function toCreateBody(
  v: ContainerFormValues,
): { ok: true; body: CreateContainerBody } | { ok: false; errors: Partial<Record<FormField, FormProblem>> } {
  const errors: Partial<Record<FormField, FormProblem>> = {};
  const body: CreateContainerBody = { image: v.image.trim(), start: v.start };
  if (!body.image) errors.image = { key: 'docker.err.required' };
  if (v.name.trim()) body.name = v.name.trim();

  if (v.command.trim()) {
    const cmd = splitCommand(v.command);
    if (cmd === null) errors.command = { key: 'docker.err.quote' };
    else if (cmd.length > 0) body.cmd = cmd;
  }

  const env: Record<string, string> = {};
  for (const [n, l] of lines(v.env)) {
    const eq = l.indexOf('=');
    const key = eq < 0 ? l : l.slice(0, eq);
    if (eq < 0 || !ENV_NAME.test(key)) {
      errors.env ??= { key: 'docker.err.env', params: { line: n } };
      continue;
    }
    env[key] = l.slice(eq + 1);
  }
  if (Object.keys(env).length > 0) body.env = env;

  const ports: NonNullable<CreateContainerBody['ports']> = [];
  for (const [n, l] of lines(v.ports)) {
    const m = PORT.exec(l);
    const hostPort = m ? port(m[2] as string) : null;
    const containerPort = m ? port(m[3] as string) : null;
    if (!m || hostPort === null || containerPort === null) {
      errors.ports ??= { key: 'docker.err.port', params: { line: n } };
      continue;
    }
    ports.push({
      host: (m[1] ?? '').replace(/^\[|\]$/g, ''),
      hostPort,
      containerPort,
      protocol: (m[4]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp',
    });
  }
  if (ports.length > 0) body.ports = ports;

  const volumes: NonNullable<CreateContainerBody['volumes']> = [];
  for (const [n, l] of lines(v.volumes)) {
    const parts = l.split(':');
    const mode = parts.length === 3 ? parts[2] : parts.length === 2 ? 'rw' : null;
    const [source = '', target = ''] = parts;
    if (!mode || (mode !== 'ro' && mode !== 'rw') || !source || !target.startsWith('/')) {
      errors.volumes ??= { key: 'docker.err.volume', params: { line: n } };
      continue;
    }
    volumes.push({ source, target, readOnly: mode === 'ro' });
  }
  if (volumes.length > 0) body.volumes = volumes;

  if (v.restart) body.restart = v.restart;

  const limits: NonNullable<CreateContainerBody['limits']> = {};
  if (v.memory.trim()) {
    const mib = Number(v.memory.trim());
    if (!Number.isFinite(mib) || mib <= 0) errors.memory = { key: 'docker.err.number' };
    else limits.memory = Math.round(mib * MiB);
  }
  if (v.cpus.trim()) {
    const cpus = Number(v.cpus.trim());
    if (!Number.isFinite(cpus) || cpus <= 0) errors.cpus = { key: 'docker.err.number' };
    else limits.cpus = cpus;
  }
  if (Object.keys(limits).length > 0) body.limits = limits;

  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body };
}

/**
 * The form field a server error belongs to: `body.limits.memory` → `memory`,
 * `body.ports.0.hostPort` → `ports`, `body.cmd` → `command`. Undefined when it names none.
 */
export function fieldOfServerError(field: string | undefined): FormField | undefined {
  if (!field) return undefined;
  const parts = field.replace(/^body\.?/, '').split('.');
  const [first, second] = parts;
  if (first === 'limits') return second === 'cpus' ? 'cpus' : second === 'memory' ? 'memory' : undefined;
  if (first === 'cmd') return 'command';
  const known: FormField[] = ['image', 'name', 'env', 'ports', 'volumes', 'restart'];
  return known.find((k) => k === first);
}
