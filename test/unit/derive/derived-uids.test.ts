import { ConfigError } from '../../../src/errors.js';
import { checkUidRoot, deterministicUid, isValidUid } from '../../../src/derive/derived-uids.js';

describe('deterministic UIDs', () => {
  it('gives the same UID for the same parts and a different one otherwise', () => {
    expect(deterministicUid('2.25', 'series', '1.2.3', 'gauss 1.0')).toBe(deterministicUid('2.25', 'series', '1.2.3', 'gauss 1.0'));
    expect(deterministicUid('2.25', 'series', '1.2.3', 'gauss 1.0')).not.toBe(deterministicUid('2.25', 'series', '1.2.3', 'gauss 1.2'));
    expect(deterministicUid('2.25', 'a', 'bc')).not.toBe(deterministicUid('2.25', 'ab', 'c'));
  });

  it('makes a 2.25 UID from a version 8 UUID', () => {
    const uid = deterministicUid('2.25', 'x');
    expect(uid).toMatch(/^2\.25\.[1-9][0-9]*$/);
    const hex = BigInt(uid.slice(5)).toString(16).padStart(32, '0');
    expect(hex[12]).toBe('8');
    expect(['8', '9', 'a', 'b']).toContain(hex[16]);
    expect(isValidUid(uid)).toBe(true);
  });

  it('fills a custom root up to 64 characters without leading zeros', () => {
    for (const root of ['1.2.826.0.1.3680043.10.543', '1.2.3', '1.2.840.99999.1.2.3.4.5.6.7.8.9.10.11.12.13.14']) {
      for (let i = 0; i < 20; i++) {
        const uid = deterministicUid(root, String(i));
        expect(uid.startsWith(`${root}.`)).toBe(true);
        expect(uid.length).toBeLessThanOrEqual(64);
        expect(isValidUid(uid)).toBe(true);
      }
    }
    expect(deterministicUid('1.2.3', 'x').length).toBeGreaterThan(60);
  });

  it('refuses a malformed or too long root', () => {
    for (const bad of ['1.02.3', '1..2', '.1.2', '1.2.', 'abc', '1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20']) {
      expect(() => checkUidRoot(bad)).toThrow(ConfigError);
    }
    expect(() => checkUidRoot('2.25')).not.toThrow();
    expect(() => checkUidRoot('1.2.826.0.1.3680043.10.543')).not.toThrow();
  });
});
