import { posix } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { SafetyFinding, SafetyReview } from './api.js';

/**
 * The compose safety review: what in a compose file gives its containers power over the host.
 * Pure (no I/O), so the AI assistant and the app store can call it on text they hold.
 * Findings are warnings the user must accept explicitly (`acceptRisks`) before anything is
 * applied; `errors` are problems of the file itself.
 */

/** Host paths whose bind mount gives a container control of (or secrets of) the host. */
export const SENSITIVE_PATHS = [
  '/etc',
  '/root',
  '/proc',
  '/sys',
  '/var/run',
  '/run',
  '/boot',
  '/dev',
  '/var/lib/docker',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/home',
];

/** Capabilities that amount to root on the host (or close to it). */
export const DANGEROUS_CAPABILITIES = [
  'ALL',
  'SYS_ADMIN',
  'NET_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'DAC_READ_SEARCH',
  'DAC_OVERRIDE',
  'BPF',
  'PERFMON',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'NET_RAW',
];

type Json = unknown;

interface Mount {
  source: string;
  readOnly: boolean;
}

/** Review compose text (YAML or JSON). Never throws: parse problems are `errors`. */
export function reviewCompose(text: string): SafetyReview {
  if (typeof text !== 'string' || text.trim() === '') {
    return { findings: [], errors: [{ path: '', message: 'the compose file is empty' }] };
  }
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      findings: [],
      errors: doc.errors.map((e) => ({
        path: e.linePos?.[0] ? `line ${e.linePos[0].line}` : '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  if (!isMap(doc.contents) && !isSeq(doc.contents)) {
    return {
      findings: [],
      errors: [{ path: '', message: 'the compose file must be a mapping with `services`' }],
    };
  }
  return reviewComposeObject(doc.toJS({ maxAliasCount: 100 }));
}

/** Review an already parsed compose object (also used for `POST containers`, built as one service). */
export function reviewComposeObject(compose: Json): SafetyReview {
  const findings: SafetyFinding[] = [];
  const errors: SafetyReview['errors'] = [];
  if (!isRecord(compose)) {
    errors.push({ path: '', message: 'the compose file must be a mapping with `services`' });
    return { findings, errors };
  }
  const services = compose.services;
  if (!isRecord(services) || Object.keys(services).length === 0) {
    errors.push({ path: 'services', message: '`services` must be a mapping with at least one service' });
    return { findings, errors };
  }
  const namedVolumeBinds = topLevelVolumeBinds(compose.volumes);
  for (const [name, service] of Object.entries(services)) {
    const at = `services.${name}`;
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      errors.push({
        path: at,
        message: `service name "${name}" may use only letters, digits, '_', '.' and '-'`,
      });
    }
    if (!isRecord(service)) {
      errors.push({ path: at, message: 'a service must be a mapping' });
      continue;
    }
    if (typeof service.image !== 'string' && service.build === undefined) {
      errors.push({ path: `${at}.image`, message: 'a service needs an `image` (or a `build`)' });
    }
    reviewService(name, service, namedVolumeBinds, findings, errors);
  }
  return { findings, errors };
}

function reviewService(
  name: string,
  s: Record<string, Json>,
  namedVolumeBinds: Map<string, Mount>,
  findings: SafetyFinding[],
  errors: SafetyReview['errors'],
): void {
  const at = `services.${name}`;
  const add = (rule: string, severity: SafetyFinding['severity'], path: string, message: string) =>
    findings.push({ rule, severity, service: name, path, message });

  if (s.privileged === true || s.privileged === 'true') {
    add(
      'privileged',
      'danger',
      `${at}.privileged`,
      'runs privileged: the container has full access to the host',
    );
  }
  const hostModes: [string, string, SafetyFinding['severity'], string][] = [
    ['network_mode', 'host-network', 'danger', "shares the host's network stack (every port and interface)"],
    ['pid', 'host-pid', 'danger', "shares the host's process namespace (can see and signal every process)"],
    ['ipc', 'host-ipc', 'warning', "shares the host's IPC namespace (shared memory of host processes)"],
    [
      'userns_mode',
      'host-userns',
      'warning',
      'disables user namespace remapping (root inside is root outside)',
    ],
    ['uts', 'host-uts', 'warning', "shares the host's hostname namespace"],
  ];
  for (const [key, rule, severity, message] of hostModes) {
    if (typeof s[key] === 'string' && s[key].trim().toLowerCase() === 'host')
      add(rule, severity, `${at}.${key}`, message);
  }
  if (s.volumes !== undefined) {
    if (!Array.isArray(s.volumes))
      errors.push({ path: `${at}.volumes`, message: '`volumes` must be a list' });
    else
      s.volumes.forEach((v, i) => {
        const path = `${at}.volumes[${i}]`;
        const mount = parseMount(v, namedVolumeBinds);
        if (mount === 'invalid')
          errors.push({ path, message: 'a volume must be "source:target[:mode]" or a mapping' });
        else if (mount) reviewMount(mount, path, add);
      });
  }
  if (s.cap_add !== undefined) {
    if (!Array.isArray(s.cap_add))
      errors.push({ path: `${at}.cap_add`, message: '`cap_add` must be a list' });
    else
      s.cap_add.forEach((cap, i) => {
        const norm = String(cap).toUpperCase().replace(/^CAP_/, '');
        const danger = DANGEROUS_CAPABILITIES.includes(norm);
        add(
          'cap-add',
          danger ? 'danger' : 'warning',
          `${at}.cap_add[${i}]`,
          danger
            ? `adds the capability ${norm}, which gives control over the host`
            : `adds the capability ${norm}`,
        );
      });
  }
  if (s.devices !== undefined) {
    if (!Array.isArray(s.devices))
      errors.push({ path: `${at}.devices`, message: '`devices` must be a list' });
    else
      s.devices.forEach((d, i) => {
        const host =
          typeof d === 'string' ? (d.split(':')[0] ?? d) : isRecord(d) ? String(d.source ?? '') : '';
        const whole =
          host === '/dev' || host === '/dev/' || /^\/dev\/(sd|nvme|vd|xvd|hd|mem|kmem|port)/.test(host);
        add(
          'devices',
          whole ? 'danger' : 'warning',
          `${at}.devices[${i}]`,
          `gives the container the host device ${host || String(d)}`,
        );
      });
  }
  if (s.security_opt !== undefined) {
    if (!Array.isArray(s.security_opt))
      errors.push({ path: `${at}.security_opt`, message: '`security_opt` must be a list' });
    else
      s.security_opt.forEach((opt, i) => {
        const o = String(opt).toLowerCase().replace(/\s/g, '');
        if (
          /unconfined$/.test(o) ||
          o === 'label:disable' ||
          o === 'label=disable' ||
          o.startsWith('no-new-privileges:false')
        ) {
          add(
            'security-opt',
            'danger',
            `${at}.security_opt[${i}]`,
            `turns off a kernel protection (${String(opt)})`,
          );
        }
      });
  }
  if (s.cgroup === 'host' || s.cgroupns_mode === 'host') {
    add(
      'host-cgroup',
      'warning',
      `${at}.${s.cgroup === 'host' ? 'cgroup' : 'cgroupns_mode'}`,
      "shares the host's cgroup namespace",
    );
  }
}

function reviewMount(
  mount: Mount,
  path: string,
  add: (rule: string, severity: SafetyFinding['severity'], path: string, message: string) => void,
): void {
  if (mount.source.startsWith('.') && posix.normalize(mount.source).startsWith('..')) {
    add('sensitive-mount', 'warning', path, `mounts ${mount.source}, outside the stack's own folder`);
    return;
  }
  const src = normalizeHostPath(mount.source);
  if (src === null) return;
  if (/(^|\/)docker\.sock$/.test(src) || src === '/var/run/docker' || src === '/run/docker') {
    add(
      'docker-socket',
      'danger',
      path,
      `mounts the Docker socket (${mount.source}): full control of the host`,
    );
    return;
  }
  if (src === '/') {
    add(
      'sensitive-mount',
      'danger',
      path,
      `mounts the host's root file system${mount.readOnly ? ' (read-only)' : ''}`,
    );
    return;
  }
  const hit = SENSITIVE_PATHS.find((p) => src === p || src.startsWith(`${p}/`));
  if (hit) {
    const exact = src === hit;
    add(
      'sensitive-mount',
      mount.readOnly && !exact ? 'warning' : 'danger',
      path,
      `mounts the host path ${src}${mount.readOnly ? ' (read-only)' : ''}, a sensitive system location`,
    );
  }
}

/** The host side of a mount, or null for named volumes and tmpfs; 'invalid' when unreadable. */
function parseMount(v: Json, namedVolumeBinds: Map<string, Mount>): Mount | null | 'invalid' {
  if (typeof v === 'string') {
    const parts = v.split(':');
    if (parts.length === 1) return null; // anonymous volume: only a container path
    const [source = '', , mode = ''] = parts;
    const readOnly = mode.split(',').includes('ro');
    if (isHostPath(source)) return { source, readOnly };
    const named = namedVolumeBinds.get(source);
    return named ? { source: named.source, readOnly: readOnly || named.readOnly } : null;
  }
  if (isRecord(v)) {
    const type = String(v.type ?? 'volume');
    const source = typeof v.source === 'string' ? v.source : '';
    const readOnly = v.read_only === true;
    if (type === 'bind' || (type !== 'volume' && isHostPath(source)))
      return source ? { source, readOnly } : null;
    if (type === 'volume') {
      const named = namedVolumeBinds.get(source);
      return named ? { source: named.source, readOnly: readOnly || named.readOnly } : null;
    }
    return null;
  }
  return 'invalid';
}

/** Top-level named volumes that are really bind mounts (`driver_opts: { o: bind, device: /etc }`). */
function topLevelVolumeBinds(volumes: Json): Map<string, Mount> {
  const out = new Map<string, Mount>();
  if (!isRecord(volumes)) return out;
  for (const [name, def] of Object.entries(volumes)) {
    if (!isRecord(def) || !isRecord(def.driver_opts)) continue;
    const opts = def.driver_opts;
    const o = String(opts.o ?? '');
    if (typeof opts.device === 'string' && /(^|,)r?bind(,|$)/.test(o)) {
      out.set(name, { source: opts.device, readOnly: /(^|,)ro(,|$)/.test(o) });
    }
  }
  return out;
}

function isHostPath(source: string): boolean {
  return source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
}

/** An absolute, normalised host path; null for project-relative paths (they stay in the project). */
function normalizeHostPath(source: string): string | null {
  if (source === '~' || source.startsWith('~/')) return posix.normalize(`/root/${source.slice(1)}`);
  if (!source.startsWith('/')) return null;
  const n = posix.normalize(source);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

function isRecord(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rule ids of findings not covered by `accepted`. */
export function unacceptedRisks(review: SafetyReview, accepted: readonly string[] = []): SafetyFinding[] {
  const ok = new Set(accepted);
  return review.findings.filter((f) => !ok.has(f.rule));
}
