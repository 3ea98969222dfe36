import type { LoadBalancingPolicy, Site, SiteInput, SiteKind, TlsMode } from '@webcasa/ui';
import { headerLines, lines, parseHeaderLines } from '../format.js';

/** The form's state: text as typed, turned into a {@link SiteInput} on save. */
export interface SiteDraft {
  name: string;
  domains: string;
  kind: SiteKind;
  enabled: boolean;
  tls: TlsMode;
  upstreams: string;
  loadBalancing: LoadBalancingPolicy;
  health: boolean;
  healthPath: string;
  healthInterval: string;
  healthTimeout: string;
  healthExpect: string;
  websocket: boolean;
  upstreamHeaders: string;
  root: string;
  browse: boolean;
  spa: boolean;
  redirectTo: string;
  permanent: boolean;
  preservePath: boolean;
  phpFpm: string;
  headers: string;
  basicAuth: { username: string; password: string; stored: boolean }[];
  allow: string;
  deny: string;
  compression: boolean;
  accessLog: boolean;
  certPem: string;
  keyPem: string;
}

export function emptyDraft(): SiteDraft {
  return {
    name: '',
    domains: '',
    kind: 'reverse_proxy',
    enabled: true,
    tls: 'auto',
    upstreams: '',
    loadBalancing: 'round_robin',
    health: false,
    healthPath: '/',
    healthInterval: '30',
    healthTimeout: '5',
    healthExpect: '',
    websocket: true,
    upstreamHeaders: '',
    root: '',
    browse: false,
    spa: false,
    redirectTo: '',
    permanent: true,
    preservePath: true,
    phpFpm: '',
    headers: '',
    basicAuth: [],
    allow: '',
    deny: '',
    compression: true,
    accessLog: false,
    certPem: '',
    keyPem: '',
  };
}

export function draftOf(site: Site): SiteDraft {
  const d = emptyDraft();
  return {
    ...d,
    name: site.name,
    domains: site.domains.join('\n'),
    kind: site.kind,
    enabled: site.enabled,
    tls: site.tls,
    upstreams: (site.upstreams ?? []).join('\n'),
    loadBalancing: site.loadBalancing ?? d.loadBalancing,
    health: !!site.healthCheck,
    healthPath: site.healthCheck?.path ?? d.healthPath,
    healthInterval: String(site.healthCheck?.intervalSeconds ?? d.healthInterval),
    healthTimeout: String(site.healthCheck?.timeoutSeconds ?? d.healthTimeout),
    healthExpect: site.healthCheck?.expectStatus ? String(site.healthCheck.expectStatus) : '',
    websocket: site.websocket ?? true,
    upstreamHeaders: headerLines(site.upstreamHeaders),
    root: site.root ?? '',
    browse: site.browse ?? false,
    spa: site.spa ?? false,
    redirectTo: site.redirectTo ?? '',
    permanent: site.permanent ?? true,
    preservePath: site.preservePath ?? true,
    phpFpm: site.phpFpm ?? '',
    headers: headerLines(site.headers),
    basicAuth: site.basicAuth.map((u) => ({ username: u.username, password: '', stored: true })),
    allow: site.allow.join('\n'),
    deny: site.deny.join('\n'),
    compression: site.compression,
    accessLog: site.accessLog,
  };
}

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));

/** What the API takes: only the fields of the chosen kind; a stored certificate is kept unless replaced. */
export function inputOf(d: SiteDraft, existing?: Site): SiteInput {
  const input: SiteInput = {
    name: d.name.trim() || null,
    domains: lines(d.domains),
    kind: d.kind,
    enabled: d.enabled,
    tls: d.tls,
    headers: parseHeaderLines(d.headers),
    basicAuth: d.basicAuth
      .filter((u) => u.username.trim())
      .map((u) =>
        u.password ? { username: u.username.trim(), password: u.password } : { username: u.username.trim() },
      ),
    allow: lines(d.allow),
    deny: lines(d.deny),
    compression: d.compression,
    accessLog: d.accessLog,
  };
  if (d.kind === 'reverse_proxy') {
    Object.assign(input, {
      upstreams: lines(d.upstreams),
      loadBalancing: d.loadBalancing,
      healthCheck: d.health
        ? {
            path: d.healthPath.trim() || '/',
            intervalSeconds: num(d.healthInterval) ?? 30,
            timeoutSeconds: num(d.healthTimeout) ?? 5,
            ...(num(d.healthExpect) ? { expectStatus: num(d.healthExpect) } : {}),
          }
        : null,
      websocket: d.websocket,
      upstreamHeaders: parseHeaderLines(d.upstreamHeaders),
    });
  }
  if (d.kind === 'static' || d.kind === 'php') input.root = d.root.trim();
  if (d.kind === 'static') Object.assign(input, { browse: d.browse, spa: d.spa });
  if (d.kind === 'php') input.phpFpm = d.phpFpm.trim();
  if (d.kind === 'redirect')
    Object.assign(input, {
      redirectTo: d.redirectTo.trim(),
      permanent: d.permanent,
      preservePath: d.preservePath,
    });
  if (d.tls === 'custom' && (d.certPem.trim() || d.keyPem.trim()))
    input.certificate = { certPem: d.certPem, keyPem: d.keyPem };
  else if (d.tls !== 'custom' && existing?.certificate) input.certificate = null;
  // Blank required fields are left out, so the API names them ("is required for a … site").
  for (const key of ['root', 'phpFpm', 'redirectTo'] as const) if (input[key] === '') delete input[key];
  if (input.upstreams?.length === 0) delete input.upstreams;
  return input;
}
