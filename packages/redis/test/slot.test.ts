import { describe, expect, it } from 'vitest';
import { keySlot } from '../src/slot.js';

describe('keySlot', () => {
  it('matches the slots Redis Cluster documents (CRC16/XMODEM mod 16384, hash tags)', () => {
    // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
    expect(keySlot('123456789')).toBe(0x31c3 % 16_384);
    expect(keySlot('foo')).toBe(12_182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('{portcullis}:bus')).toBe(keySlot('{portcullis}:tombstones'));
    // An empty tag `{}` does not count: the whole key is hashed.
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });
});
