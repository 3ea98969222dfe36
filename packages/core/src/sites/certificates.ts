import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SiteRecord } from './model.js';

/** Where a domain's certificate stands. */
export interface DomainCertificate {
  domain: string;
  /** `acme`, `internal` (Caddy's local CA), `custom` (uploaded), `none` (TLS off). */
  source: 'acme' | 'internal' | 'custom' | 'none';
  /** A certificate was found (in Caddy's storage, or uploaded). */
  present: boolean;
  issuer: string | null;
  notBefore: string | null;
  notAfter: string | null;
  /** Whole days until it expires (negative when expired). */
  daysLeft: number | null;
  /** Why nothing could be said, e.g. storage not readable in external mode. */
  note?: string;
}

function describe(pem: string, now: number) {
  const cert = new X509Certificate(pem);
  const notAfter = new Date(cert.validTo);
  return {
    issuer: cert.issuer.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now) / 86_400_000),
  };
}

/** Caddy (certmagic) stores `*.example.com` as `wildcard_.example.com`. */
function storageKey(domain: string): string {
  return domain.replace(/^\*\./, 'wildcard_.');
}

function findInStorage(storageDir: string, domain: string, issuerDir?: string): string | undefined {
  const base = join(storageDir, 'certificates');
  const key = storageKey(domain);
  let issuers: string[];
  try {
    issuers = issuerDir ? [issuerDir] : readdirSync(base).filter((d) => d !== 'local');
  } catch {
    return undefined;
  }
  for (const issuer of issuers) {
    try {
      return readFileSync(join(base, issuer, key, `${key}.crt`), 'utf8');
    } catch {}
  }
  return undefined;
}

/**
 * Certificate status of each of a site's domains: uploaded ones from the
 * database, managed ones from Caddy's storage folder (when the panel knows it).
 */
export function certificateStatus(
  site: SiteRecord,
  storageDir: string | undefined,
  now = Date.now(),
): DomainCertificate[] {
  return site.domains.map((domain): DomainCertificate => {
    const empty = { issuer: null, notBefore: null, notAfter: null, daysLeft: null };
    if (site.tls === 'off') return { domain, source: 'none', present: false, ...empty };
    if (site.tls === 'custom') {
      if (!site.certificate) return { domain, source: 'custom', present: false, ...empty };
      return { domain, source: 'custom', present: true, ...describe(site.certificate.certPem, now) };
    }
    const source = site.tls === 'internal' ? 'internal' : 'acme';
    if (!storageDir) {
      return { domain, source, present: false, ...empty, note: "Caddy's storage folder is not known" };
    }
    const pem = findInStorage(storageDir, domain, source === 'internal' ? 'local' : undefined);
    if (!pem) return { domain, source, present: false, ...empty, note: 'not issued yet' };
    try {
      return { domain, source, present: true, ...describe(pem, now) };
    } catch {
      return { domain, source, present: false, ...empty, note: 'unreadable certificate file' };
    }
  });
}
