import { defineServerPlugin } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers.js';

// Every core endpoint, taken from the OpenAPI document, is fed bad input: it
// must answer 4xx with a JSON error naming the field, never a 500.

let h: Harness;
let doc: any;

beforeAll(async () => {
  h = await startHarness([
    {
      manifest: {
        id: 'demo',
        name: 'Demo',
        version: '1.0.0',
        engine: '^1.0.0',
        config: { type: 'object', properties: { n: { type: 'integer', default: 1 } } },
      },
      plugin: defineServerPlugin({ setup() {} }),
    },
  ]);
  doc = (await h.call('GET', '/api/openapi.json')).body;
});
afterAll(() => h.stop());

type Op = { method: string; path: string; op: any };

function operations(): Op[] {
  const out: Op[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) out.push({ method: method.toUpperCase(), path, op });
  }
  return out;
}

/** A concrete URL for a templated path, with well-formed params. */
function fill(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    name === 'id' && path.includes('/plugins/') ? 'demo' : '1',
  );
}

function wrongValueFor(schema: any): unknown {
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  switch (type) {
    case 'string':
      return { not: 'a string' };
    case 'number':
    case 'integer':
    case 'boolean':
    case 'array':
      return 'not-the-right-type';
    case 'object':
      return 12345;
    default:
      return undefined;
  }
}

function expectFieldError(res: { status: number; body: any }, field: string, where: string) {
  expect(res.status, where).toBe(400);
  expect(res.body?.error?.code, where).toBe('WEBCASA_BAD_REQUEST');
  const fields = [
    res.body.error.field,
    ...(res.body.error.details?.issues ?? []).map((i: { field: string }) => i.field),
  ];
  expect(fields, where).toContain(field);
  expect(res.body.error.message, where).toContain(res.body.error.field);
}

describe('bad input on every core endpoint', () => {
  it('the OpenAPI document lists the core API', () => {
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/api/auth/login',
      '/api/users',
      '/api/tokens',
      '/api/admin/audit',
      '/api/admin/plugins/{id}/enable',
      '/api/runs',
    ]) {
      expect(paths).toContain(p);
    }
  });

  it('answers a non-JSON or malformed body with 400 naming body', async () => {
    const withBody = operations().filter((o) => o.op.requestBody);
    expect(withBody.length).toBeGreaterThan(5);
    for (const { method, path } of withBody) {
      const url = fill(path);
      const notJson = await h.call(method, url, 'hello', { headers: { 'content-type': 'text/plain' } });
      expectFieldError(notJson, 'body', `${method} ${path} text/plain`);
      const broken = await h.call(method, url, '{"unterminated": ', {});
      expectFieldError(broken, 'body', `${method} ${path} broken JSON`);
    }
  });

  it('answers a wrongly typed field with 400 naming that field', async () => {
    let checked = 0;
    for (const { method, path, op } of operations()) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema?.properties) continue;
      for (const [name, prop] of Object.entries(schema.properties as Record<string, unknown>)) {
        const wrong = wrongValueFor(prop);
        if (wrong === undefined) continue;
        const res = await h.call(method, fill(path), { [name]: wrong });
        expectFieldError(res, `body.${name}`, `${method} ${path} body.${name}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('answers bad query values with 400 naming the parameter', async () => {
    let checked = 0;
    for (const { method, path, op } of operations()) {
      for (const param of op.parameters ?? []) {
        if (param.in !== 'query') continue;
        const type = param.schema?.type;
        const bad =
          param.schema?.enum || type === 'integer' || type === 'number' || type === 'boolean'
            ? 'zz-not-valid'
            : undefined;
        if (!bad) continue;
        const res = await h.call(
          method,
          `${fill(path)}?${param.name}=${bad}`,
          method === 'GET' ? undefined : {},
        );
        expectFieldError(res, `query.${param.name}`, `${method} ${path} query.${param.name}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('answers malformed path ids with a 4xx, never a 500', async () => {
    for (const { method, path } of operations()) {
      if (!path.includes('{')) continue;
      const url = path.replace(/\{(\w+)\}/g, 'BAD%20ID..%2F');
      const res = await h.call(method, url, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expect(res.body?.error?.code, `${method} ${path}`).toBeTruthy();
    }
  });

  it('answers an oversized body with 413, and unknown routes with a JSON 404', async () => {
    const big = await h.call('PATCH', '/api/admin/settings', { panelName: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('WEBCASA_BODY_TOO_LARGE');
    const missing = await h.call('GET', '/api/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('WEBCASA_NOT_FOUND');
  });
});
