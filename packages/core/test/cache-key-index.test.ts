import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../src/cache/key-index.js';

describe('KeyIndex', () => {
  it('keeps one key, then several, then one again, then none', () => {
    const index = new KeyIndex();
    index.add('tenant-a', 'k1');
    expect(index.keys('tenant-a')).toEqual(['k1']);
    index.add('tenant-a', 'k1'); // the same key twice is one key
    expect(index.keys('tenant-a')).toEqual(['k1']);
    index.add('tenant-a', 'k2');
    index.add('tenant-a', 'k3');
    expect(index.keys('tenant-a').sort()).toEqual(['k1', 'k2', 'k3']);
    index.remove('tenant-a', 'k2');
    index.remove('tenant-a', 'k3');
    expect(index.keys('tenant-a')).toEqual(['k1']);
    index.add('tenant-a', 'k4');
    expect(index.keys('tenant-a').sort()).toEqual(['k1', 'k4']);
    index.remove('tenant-a', 'k1');
    index.remove('tenant-a', 'k4');
    expect(index.keys('tenant-a')).toEqual([]);
  });

  it('ignores undefined values and unknown keys, and hands out copies', () => {
    const index = new KeyIndex();
    index.add(undefined, 'k1');
    index.remove(undefined, 'k1');
    index.remove('nobody', 'k1');
    index.add('u', 'k1');
    index.remove('u', 'other');
    const keys = index.keys('u');
    keys.push('mutated');
    expect(index.keys('u')).toEqual(['k1']);
  });
});
