import { describe, expect, it } from 'vitest';
import { installerMessages } from './messages.js';
import { compareVersions, updateAvailable } from './versions.js';

describe('install cards', () => {
  it('orders versions numerically, a pre-release before its release', () => {
    expect(compareVersions('1.10.0', '1.9.3')).toBe(1);
    expect(compareVersions('1.2.0', '1.2.0')).toBe(0);
    expect(compareVersions('2.0.0-beta.1', '2.0.0')).toBe(-1);
    expect(compareVersions('2.0.0', '2.0.0-rc.1')).toBe(1);
    expect(compareVersions('0.9.0', '1.0.0')).toBe(-1);
  });

  it('offers an update only when the registry has a newer version than the installed one', () => {
    expect(updateAvailable('1.0.0', '1.1.0')).toBe('1.1.0');
    expect(updateAvailable('1.1.0', '1.1.0')).toBeNull();
    expect(updateAvailable('1.2.0', '1.1.0')).toBeNull();
    expect(updateAvailable(undefined, '1.1.0')).toBeNull();
    expect(updateAvailable('1.0.0', '')).toBeNull();
    expect(updateAvailable('1.0.0', undefined)).toBeNull();
  });

  it('has every installer string in English and Chinese', () => {
    const en = Object.keys(installerMessages.en).sort();
    const zh = Object.keys(installerMessages['zh-CN']).sort();
    expect(zh).toEqual(en);
    for (const key of en) expect(installerMessages['zh-CN'][key]).not.toBe('');
  });
});
