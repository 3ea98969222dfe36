// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables like ${APP_PORT} are literal text here
import { describe, expect, it } from 'vitest';
import { substitute } from './render.js';

describe('substitute', () => {
  it('replaces ${VAR}, $VAR and defaults like compose, escaping $ in values', () => {
    const vars = { A: 'x', EMPTY: '', D: 'p$w' };
    const missing = new Set<string>();
    expect(
      substitute('${A}/$A/${EMPTY:-dflt}/${EMPTY-dflt}/${UNSET-u}/${D}/$$keep/${NONE}', vars, missing),
    ).toBe('x/x/dflt//u/p$$w/$$keep/');
    expect([...missing]).toEqual(['NONE']);
  });
});
