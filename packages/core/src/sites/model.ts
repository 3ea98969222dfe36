import { X509Certificate } from 'node:crypto';
import type {
  CertificateInfo,
  HealthCheck,
  LoadBalancingPolicy,
  Site,
  SiteInput,
  SiteKind,
  SiteStatus,
  TlsMode,
} from './types.js';

/** The validated settings of a site kept as JSON in `sites.options`. */
export interface SiteOptions {
  upstreams?: string[];
  loadBalancing?: LoadBalancingPolicy;
  healthCheck?: HealthCheck | null;
  websocket?: boolean;
  upstreamHeaders?: Record<string, string>;
  root?: string;
  browse?: boolean;
  spa?: boolean;
  redirectTo?: string;
  permanent?: boolean;
  preservePath?: boolean;
  phpFpm?: string;
  headers: Record<string, string>;
  /** bcrypt hashes, never plain passwords. */
  basicAuth: { username: string; hash: string }[];
  allow: string[];
  deny: string[];
  compression: boolean;
  accessLog: boolean;
}

/** A site as the service and the config generator see it (the key decrypted). */
export interface SiteRecord {
  id: number;
  name: string | null;
  domains: string[];
  kind: SiteKind;
  enabled: boolean;
  tls: TlsMode;
  certificate: { certPem: string; keyPem: string } | null;
  options: SiteOptions;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** A record before it has an id (what a create or update computes). */
export type SiteDraft = Omit<SiteRecord, 'id' | 'revision' | 'createdAt' | 'updatedAt'>;

const KIND_FIELDS: Record<SiteKind, (keyof SiteOptions)[]> = {
  reverse_proxy: ['upstreams', 'loadBalancing', 'healthCheck', 'websocket', 'upstreamHeaders'],
  static: ['root', 'browse', 'spa'],
  redirect: ['redirectTo', 'permanent', 'preservePath'],
  php: ['root', 'phpFpm'],
};

/** Defaults of the kind-specific fields, applied when a site is stored. */
export function kindDefaults(kind: SiteKind): Partial<SiteOptions> {
  switch (kind) {
    case 'reverse_proxy':
      return { loadBalancing: 'round_robin', healthCheck: null, websocket: true, upstreamHeaders: {} };
    case 'static':
      return { browse: false, spa: false };
    case 'redirect':
      return { permanent: true, preservePath: true };
    case 'php':
      return {};
  }
}

/** Keep only the fields the kind uses (a kind change drops the old kind's settings). */
export function pickKindFields(kind: SiteKind, source: Partial<SiteOptions>): Partial<SiteOptions> {
  const out: Partial<SiteOptions> = { ...kindDefaults(kind) };
  for (const key of KIND_FIELDS[kind]) {
    if (source[key] !== undefined) (out as Record<string, unknown>)[key] = source[key];
  }
  return out;
}

/** Subject, issuer, names and validity of a PEM certificate, for display. */
export function describeCertificate(certPem: string): CertificateInfo {
  const cert = new X509Certificate(certPem);
  const names = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/^(DNS|IP Address):/, ''));
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    names,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
}

/** The API shape of a record. */
export function toSite(record: SiteRecord, status: SiteStatus): Site {
  const o = record.options;
  const site: Site = {
    id: record.id,
    name: record.name ?? record.domains[0] ?? `site ${record.id}`,
    domains: [...record.domains],
    kind: record.kind,
    enabled: record.enabled,
    tls: record.tls,
    certificate: null,
    headers: { ...o.headers },
    basicAuth: o.basicAuth.map((u) => ({ username: u.username })),
    allow: [...o.allow],
    deny: [...o.deny],
    compression: o.compression,
    accessLog: o.accessLog,
    revision: record.revision,
    status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  if (record.certificate) {
    try {
      site.certificate = describeCertificate(record.certificate.certPem);
    } catch {
      site.certificate = null;
    }
  }
  for (const key of KIND_FIELDS[record.kind]) {
    const value = o[key];
    if (value !== undefined) (site as unknown as Record<string, unknown>)[key] = structuredClone(value);
  }
  return site;
}

/**
 * A record as input again, to merge a patch onto. Basic-auth users come back
 * without passwords (their stored hashes are kept by username).
 */
export function toInput(record: SiteRecord): SiteInput {
  const o = record.options;
  const input: SiteInput = {
    name: record.name,
    domains: [...record.domains],
    kind: record.kind,
    enabled: record.enabled,
    tls: record.tls,
    headers: { ...o.headers },
    basicAuth: o.basicAuth.map((u) => ({ username: u.username })),
    allow: [...o.allow],
    deny: [...o.deny],
    compression: o.compression,
    accessLog: o.accessLog,
  };
  if (record.certificate) input.certificate = { ...record.certificate };
  for (const key of KIND_FIELDS[record.kind]) {
    const value = o[key];
    if (value !== undefined) (input as unknown as Record<string, unknown>)[key] = structuredClone(value);
  }
  return input;
}
