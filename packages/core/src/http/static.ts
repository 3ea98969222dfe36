import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Context } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function contentType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Resolve `urlPath` inside `root`, or undefined when it would leave it (`..`,
 * encoded traversal, NUL bytes) or names no regular file.
 */
export function fileInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const full = resolve(root, `.${normalize(`/${decoded}`)}`);
  if (full !== root && !full.startsWith(root + sep)) return undefined;
  try {
    return statSync(full).isFile() ? full : undefined;
  } catch {
    return undefined;
  }
}

/** The strict CSP of the shell, allowing exactly the inline scripts of index.html by hash. */
export function shellCsp(scriptHashes: string[]): string {
  const scripts = ["'self'", ...scriptHashes.map((h) => `'sha256-${h}'`)].join(' ');
  return [
    "default-src 'self'",
    `script-src ${scripts}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');
}

/** SHA-256 (base64) of every inline `<script>` body in an HTML document. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    hashes.push(
      createHash('sha256')
        .update(m[1] ?? '', 'utf8')
        .digest('base64'),
    );
  }
  return hashes;
}

/**
 * Serves the built shell: files from `root`, `index.html` for history routes,
 * immutable caching for hashed assets and no-cache for the rest.
 */
export function createShellHandler(root: string) {
  const webRoot = resolve(root);
  const indexFile = join(webRoot, 'index.html');
  let index: { html: string; csp: string } | undefined;
  const loadIndex = () => {
    if (!index) {
      const html = readFileSync(indexFile, 'utf8');
      index = { html, csp: shellCsp(inlineScriptHashes(html)) };
    }
    return index;
  };

  return async (c: Context): Promise<Response | undefined> => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return undefined;
    const path = c.req.path;
    if (path.startsWith('/api/') || path === '/api' || path.startsWith('/ws/')) return undefined;
    const file = path === '/' ? undefined : fileInside(webRoot, path);
    if (file && file !== indexFile) {
      const body = c.req.method === 'HEAD' ? null : new Uint8Array(await readFile(file));
      const immutable = path.startsWith('/assets/');
      return c.body(body as Uint8Array<ArrayBuffer>, 200, {
        'Content-Type': contentType(file),
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    // History routing: extension-less paths (and /) get the shell; missing files 404.
    if (path !== '/' && extname(path) !== '' && !file) return undefined;
    if (!existsSync(indexFile)) return undefined;
    const { html, csp } = loadIndex();
    return c.body((c.req.method === 'HEAD' ? null : html) as string, 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': csp,
    });
  };
}
