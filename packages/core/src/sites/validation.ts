import { isIP } from 'node:net';
import { isAbsolute, normalize } from 'node:path';
import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { LB_POLICIES, SITE_KINDS, type SiteKind, TLS_MODES, type TlsMode } from './types.js';

/**
 * Zod schemas and parsers for site input. Field errors name the field
 * (`domains.1`, `upstreams.0`, `healthCheck.path`); the REST layer prefixes
 * them with `body.`.
 */

const MAX_DOMAINS = 100;
const MAX_UPSTREAMS = 50;

/** A domain as stored: lower case, punycode, no trailing dot. */
export interface ParsedDomain {
  value: string;
  ip: boolean;
  wildcard: boolean;
  /** No dot in it (`localhost`, `nas`): only reachable on a LAN. */
  singleLabel: boolean;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Parse a hostname, `*.example.com` or IP address; returns an error message instead when it is not one. */
export function parseDomain(raw: string): ParsedDomain | string {
  let text = raw.trim().toLowerCase();
  if (text === '') return 'must not be empty';
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) return { value: bare, ip: true, wildcard: false, singleLabel: false };
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(text)) return 'give the domain only, without http:// or https://';
  if (/:\d*$/.test(text)) return 'give the domain without a port (sites use the panel-wide HTTP/HTTPS ports)';
  if (/[/:?#@\s\\]/.test(text)) return 'is not a valid domain name';
  if (text.endsWith('.')) text = text.slice(0, -1);
  let wildcard = false;
  if (text.startsWith('*.')) {
    wildcard = true;
    text = text.slice(2);
  }
  if (text.includes('*')) return 'a wildcard is allowed only as the whole leftmost label (*.example.com)';
  const ascii = domainToASCII(text);
  if (!ascii) return 'is not a valid domain name';
  if (ascii.length > 253) return 'is longer than 253 characters';
  const labels = ascii.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) return `is not a valid domain name (label "${label}")`;
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'is not a valid domain name or IP address';
  if (wildcard && labels.length < 2) return 'a wildcard needs at least two labels after it (*.example.com)';
  return {
    value: wildcard ? `*.${ascii}` : ascii,
    ip: false,
    wildcard,
    singleLabel: labels.length === 1,
  };
}

/** An upstream: what Caddy dials and whether it speaks TLS. */
export interface ParsedUpstream {
  /** Caddy's dial address: `host:port` or `unix//path`. */
  dial: string;
  tls: boolean;
}

function parsePort(text: string): number | string {
  if (!/^\d{1,5}$/.test(text)) return `port "${text}" is not a number`;
  const port = Number(text);
  if (port < 1 || port > 65535) return `port ${port} is not between 1 and 65535`;
  return port;
}

function parseHostPort(text: string, defaultPort?: number): { host: string; port: number } | string {
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (isIP(host) !== 6) return `"${host}" is not an IPv6 address`;
  } else {
    const i = text.lastIndexOf(':');
    if (i === -1) {
      host = text;
    } else {
      host = text.slice(0, i);
      portText = text.slice(i + 1);
    }
    if (host.includes(':')) return 'put IPv6 addresses in brackets: [::1]:8080';
    if (!isIP(host)) {
      const d = parseDomain(host);
      if (typeof d === 'string' || d.wildcard) return `"${host}" is not a valid host`;
      host = d.value;
    }
  }
  if (portText === undefined || portText === '') {
    if (defaultPort === undefined) return 'needs a port (host:port)';
    return { host, port: defaultPort };
  }
  const port = parsePort(portText);
  if (typeof port === 'string') return port;
  return { host, port };
}

function formatDial(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

function parseSocketPath(path: string): string | undefined {
  if (!isAbsolute(path) || path.includes('\0') || /[{}]/.test(path)) return undefined;
  return normalize(path);
}

/**
 * Parse `host:port`, `http://host[:port]`, `https://host[:port]` or `unix:/path.sock`.
 * Returns an error message instead when it is none of these.
 */
export function parseUpstream(raw: string): ParsedUpstream | string {
  const text = raw.trim();
  if (text === '') return 'must not be empty';
  if (text.startsWith('unix:')) {
    const unix = /^unix:\/{0,2}(\/.*)$/.exec(text);
    if (!unix) return 'needs an absolute socket path (unix:/run/app.sock)';
    const path = parseSocketPath(unix[1]!);
    return path ? { dial: `unix/${path}`, tls: false } : 'needs an absolute socket path (unix:/run/app.sock)';
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name !== 'http' && name !== 'https') return `scheme "${name}" is not http or https`;
    // Checked before URL parsing, which refuses ports past 65535 with a vaguer message.
    const explicit = /^[a-z]+:\/\/(?:\[[^\]]*\]|[^/:]*):(\d*)/i.exec(text);
    if (explicit) {
      const p = parsePort(explicit[1]!);
      if (typeof p === 'string') return p;
    }
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return 'is not a valid URL';
    }
    if (url.username || url.password) return 'must not contain credentials';
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
      return 'give scheme, host and port only (no path)';
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (name === 'https' ? 443 : 80));
    if (!isIP(host)) {
      const d = parseDomain(host);
      if (typeof d === 'string' || d.wildcard) return `"${host}" is not a valid host`;
    }
    return { dial: formatDial(host, port), tls: name === 'https' };
  }
  if (/[/?#@\s]/.test(text)) return 'is not host:port or an http(s) URL';
  const hp = parseHostPort(text);
  if (typeof hp === 'string') return hp;
  return { dial: formatDial(hp.host, hp.port), tls: false };
}

/** PHP-FPM address: `/run/php/php-fpm.sock`, `unix:/…` or `host:port`. Returns Caddy's dial address. */
export function parsePhpFpm(raw: string): string | { error: string } {
  const text = raw.trim();
  if (text.startsWith('/') || text.startsWith('unix:')) {
    const path = parseSocketPath(text.replace(/^unix:\/{0,2}(?=\/)/, ''));
    return path ? `unix/${path}` : { error: 'needs an absolute socket path' };
  }
  const hp = parseHostPort(text);
  if (typeof hp === 'string') return { error: hp };
  return formatDial(hp.host, hp.port);
}

/** An absolute folder path Caddy can use verbatim (no placeholders, no `..`). */
export function parseRoot(raw: string): string | { error: string } {
  const text = raw.trim();
  if (!isAbsolute(text)) return { error: 'must be an absolute path (/var/www/site)' };
  if (text.includes('\0')) return { error: 'must not contain NUL' };
  if (/[{}]/.test(text)) return { error: 'must not contain { or } (Caddy reads them as placeholders)' };
  if (text.split('/').includes('..')) return { error: 'must not contain ..' };
  const out = normalize(text);
  return out.length > 1 ? out.replace(/\/$/, '') : out;
}

/** An IP address or CIDR range, normalised. */
export function parseIpRange(raw: string): string | { error: string } {
  const text = raw.trim();
  const [ip, bits, extra] = text.split('/');
  const family = isIP(ip ?? '');
  if (!family || extra !== undefined) return { error: `"${text}" is not an IP address or CIDR range` };
  if (bits === undefined) return ip!;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) {
    return { error: `"${text}" has an invalid prefix length` };
  }
  return `${ip}/${Number(bits)}`;
}

function refineWith<T>(parse: (v: string) => T | { error: string } | string, ok: (r: unknown) => boolean) {
  return (value: string, ctx: z.RefinementCtx): T => {
    const result = parse(value);
    if (!ok(result)) {
      const message = typeof result === 'string' ? result : (result as { error: string }).error;
      ctx.addIssue({ code: 'custom', message: `"${value}" ${message}` });
      return z.NEVER;
    }
    return result as T;
  };
}

const domainSchema = z
  .string()
  .max(300)
  .transform((value, ctx) => {
    const parsed = parseDomain(value);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: `"${value}" ${parsed}` });
      return z.NEVER;
    }
    return parsed.value;
  });

const upstreamSchema = z
  .string()
  .max(300)
  .transform((value, ctx) => {
    const parsed = parseUpstream(value);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: `"${value}" ${parsed}` });
      return z.NEVER;
    }
    return value.trim();
  });

const rootSchema = z
  .string()
  .max(4096)
  .transform(refineWith<string>(parseRoot, (r) => typeof r === 'string'));
const phpFpmSchema = z
  .string()
  .max(4096)
  .transform(
    refineWith<string>(
      (v) => {
        const r = parsePhpFpm(v);
        return typeof r === 'string' ? v.trim() : r;
      },
      (r) => typeof r === 'string',
    ),
  );
const ipRangeSchema = z
  .string()
  .max(100)
  .transform(refineWith<string>(parseIpRange, (r) => typeof r === 'string'));

const redirectSchema = z
  .string()
  .max(2000)
  .transform((value, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(value.trim());
    } catch {}
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not an http(s) URL` });
      return z.NEVER;
    }
    if (/[{}]/.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain { or }' });
      return z.NEVER;
    }
    return url.href;
  });

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const headerMap = z
  .record(
    z.string().regex(HEADER_NAME, 'is not a valid header name'),
    z
      .string()
      .max(4000)
      .refine((v) => !/[\r\n\0]/.test(v), 'must not contain line breaks'),
  )
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 headers');

const pemSchema = (what: string) =>
  z
    .string()
    .max(64 * 1024)
    .refine((v) => v.includes('-----BEGIN'), `is not a PEM ${what}`);

export const certificateInputSchema = z
  .object({ certPem: pemSchema('certificate'), keyPem: pemSchema('private key') })
  .strict();

export const healthCheckSchema = z
  .object({
    path: z
      .string()
      .max(500)
      .regex(/^\/[^\s{}]*$/, 'must start with / and contain no spaces or { }'),
    intervalSeconds: z.number().int().min(1).max(3600).default(30),
    timeoutSeconds: z.number().int().min(1).max(300).default(5),
    expectStatus: z.number().int().min(100).max(599).optional(),
  })
  .strict();

const basicAuthUserSchema = z
  .object({
    username: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^:\s]+$/, 'must not contain ":" or spaces'),
    password: z.string().min(1).max(200).optional(),
  })
  .strict();

/** Every field of a site, each validated on its own. */
export const siteFields = {
  name: z.string().trim().max(100).nullable().optional(),
  domains: z.array(domainSchema).min(1, 'needs at least one domain').max(MAX_DOMAINS),
  kind: z.enum(SITE_KINDS),
  enabled: z.boolean().optional(),
  tls: z.enum(TLS_MODES).optional(),
  certificate: certificateInputSchema.optional(),
  upstreams: z.array(upstreamSchema).min(1, 'needs at least one upstream').max(MAX_UPSTREAMS).optional(),
  loadBalancing: z.enum(LB_POLICIES).optional(),
  healthCheck: healthCheckSchema.nullable().optional(),
  websocket: z.boolean().optional(),
  upstreamHeaders: headerMap.optional(),
  root: rootSchema.optional(),
  browse: z.boolean().optional(),
  spa: z.boolean().optional(),
  redirectTo: redirectSchema.optional(),
  permanent: z.boolean().optional(),
  preservePath: z.boolean().optional(),
  phpFpm: phpFpmSchema.optional(),
  headers: headerMap.optional(),
  basicAuth: z.array(basicAuthUserSchema).max(50).optional(),
  allow: z.array(ipRangeSchema).max(200).optional(),
  deny: z.array(ipRangeSchema).max(200).optional(),
  compression: z.boolean().optional(),
  accessLog: z.boolean().optional(),
};

type Fields = z.output<z.ZodObject<typeof siteFields>>;

const REQUIRED_BY_KIND: Record<SiteKind, (keyof Fields)[]> = {
  reverse_proxy: ['upstreams'],
  static: ['root'],
  redirect: ['redirectTo'],
  php: ['root', 'phpFpm'],
};

/** Checks across fields: what a kind needs, which domains a TLS mode can serve, duplicates. */
function checkSite(site: Fields, ctx: z.RefinementCtx): void {
  for (const field of REQUIRED_BY_KIND[site.kind]) {
    if (site[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `is required for a ${site.kind} site` });
    }
  }
  const tls: TlsMode = site.tls ?? 'auto';
  if (tls === 'custom' && !site.certificate) {
    ctx.addIssue({
      code: 'custom',
      path: ['certificate'],
      message: 'is required with tls "custom" ({ certPem, keyPem })',
    });
  }
  const seen = new Map<string, number>();
  site.domains.forEach((domain, i) => {
    const first = seen.get(domain);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['domains', i],
        message: `"${domain}" is listed twice (also domains.${first})`,
      });
    }
    seen.set(domain, i);
    const parsed = parseDomain(domain);
    if (typeof parsed === 'string') return;
    if (parsed.ip && tls === 'auto') {
      ctx.addIssue({
        code: 'custom',
        path: ['domains', i],
        message: `"${domain}" is an IP address: use tls "internal" or "off" (ACME cannot issue for it)`,
      });
    } else if (parsed.wildcard && tls === 'auto') {
      ctx.addIssue({
        code: 'custom',
        path: ['domains', i],
        message: `"${domain}" is a wildcard: use tls "internal" or "custom" (ACME wildcards need a DNS challenge)`,
      });
    } else if (parsed.singleLabel && tls === 'auto') {
      ctx.addIssue({
        code: 'custom',
        path: ['domains', i],
        message: `"${domain}" is not a public domain name: use tls "internal" or "off"`,
      });
    }
  });
  if (site.kind === 'reverse_proxy' && site.upstreams) {
    const tlsFlags = site.upstreams.map((u) => {
      const p = parseUpstream(u);
      return typeof p === 'string' ? false : p.tls;
    });
    if (tlsFlags.some((t) => t) && tlsFlags.some((t) => !t)) {
      ctx.addIssue({
        code: 'custom',
        path: ['upstreams'],
        message: 'mixes https:// and plain upstreams; one site speaks one protocol to its upstreams',
      });
    }
  }
}

/** A whole site: `POST /api/sites` and `hosts.create`. */
export const siteInputSchema = z.object(siteFields).strict().superRefine(checkSite);

const readOnly = z.unknown().optional().describe('read-only; ignored');

/**
 * `PUT /api/sites/:id`: any subset of the fields, merged onto the site and then
 * checked as a whole. Read-only fields a client echoes back from `GET` are ignored,
 * and so is a `certificate` without `certPem` (the info object `GET` shows).
 */
export const sitePatchSchema = z
  .object({
    ...siteFields,
    kind: siteFields.kind.optional(),
    domains: siteFields.domains.optional(),
    certificate: z
      .union([certificateInputSchema, z.object({ fingerprint256: z.string() }).loose(), z.null()])
      .optional(),
    id: readOnly,
    status: readOnly,
    revision: readOnly,
    createdAt: readOnly,
    updatedAt: readOnly,
  })
  .strict();

export type ParsedSiteInput = z.output<typeof siteInputSchema>;

/** Parse a whole site, or return the issues with their field paths. */
export function parseSite(
  input: unknown,
): { ok: true; value: ParsedSiteInput } | { ok: false; issues: { field: string; message: string }[] } {
  const result = siteInputSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({
      field: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}

/** True for `$2a$`, `$2b$`, `$2y$` bcrypt hashes (kept as given). */
export function isBcryptHash(value: string): boolean {
  return /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(value);
}
