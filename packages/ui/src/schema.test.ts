import { describe, expect, it } from 'vitest';
import type { ConfigSchema } from './api/types.js';
import { diffValues, fieldsOf, isVisible, SECRET_MASK, validateAll, validateValue } from './schema.js';

const schema: ConfigSchema = {
  type: 'object',
  properties: {
    endpoint: { type: 'string', default: 'https://api.example.com', pattern: '^https://' },
    retries: { type: 'integer', default: 3, minimum: 0, maximum: 10, advanced: true },
    mode: { type: 'string', enum: ['fast', 'safe'], default: 'safe' },
    apiKey: { type: 'string', secret: true },
    label: { type: 'string' },
    tuning: { type: 'string', advanced: true },
  },
  required: ['apiKey'],
};

describe('fields by mode', () => {
  it('novice shows required fields and optional ones without a default; advanced shows all', () => {
    const fields = fieldsOf(schema);
    expect(fields.filter((f) => isVisible(f, 'novice')).map((f) => f.key)).toEqual(['apiKey', 'label']);
    expect(fields.filter((f) => isVisible(f, 'advanced'))).toHaveLength(6);
  });
});

describe('validateValue', () => {
  const field = (key: string) => fieldsOf(schema).find((f) => f.key === key)!;
  it('names the rule a value breaks', () => {
    expect(validateValue(field('retries'), 11)).toEqual({ key: 'ui.max', params: { n: 10 } });
    expect(validateValue(field('retries'), -1)).toEqual({ key: 'ui.min', params: { n: 0 } });
    expect(validateValue(field('retries'), 1.5)).toEqual({ key: 'ui.mustBeInteger' });
    expect(validateValue(field('retries'), Number.NaN)).toEqual({ key: 'ui.mustBeNumber' });
    expect(validateValue(field('endpoint'), 'http://x')).toEqual({ key: 'ui.pattern' });
    expect(validateValue(field('mode'), 'slow')).toEqual({
      key: 'ui.oneOf',
      params: { values: 'fast, safe' },
    });
    expect(validateValue(field('apiKey'), '')).toEqual({ key: 'ui.required' });
  });
  it('accepts valid values, empty optional ones and a stored secret’s mask', () => {
    expect(validateValue(field('retries'), 10)).toBeNull();
    expect(validateValue(field('endpoint'), 'https://x')).toBeNull();
    expect(validateValue(field('label'), '')).toBeNull();
    expect(validateValue(field('apiKey'), SECRET_MASK)).toBeNull();
  });
  it('validateAll reports every bad field', () => {
    expect(Object.keys(validateAll(schema, { retries: 99, endpoint: 'ftp://' }))).toEqual([
      'endpoint',
      'retries',
      'apiKey',
    ]);
  });
});

describe('diffValues', () => {
  it('sends only changed keys; an emptied field resets to its default (null)', () => {
    expect(
      diffValues({ a: 1, b: 'x', c: SECRET_MASK, d: [1] }, { a: 1, b: '', c: SECRET_MASK, d: [1, 2] }),
    ).toEqual({ b: null, d: [1, 2] });
  });
});
