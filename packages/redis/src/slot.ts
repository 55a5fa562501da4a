/**
 * Redis Cluster key slot (CRC16/XMODEM of the hash tag, or of the whole key, mod 16384), needed to
 * find the master that owns the bus channel for SSUBSCRIBE.
 */
import { hashTagOf } from './options.js';

const SLOTS = 16_384;
const TABLE = buildTable();

export function keySlot(key: string): number {
  const tag = hashTagOf(key) ?? key;
  let crc = 0;
  for (const byte of Buffer.from(tag, 'utf8')) {
    crc = ((crc << 8) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number)) & 0xffff;
  }
  return crc % SLOTS;
}

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i += 1) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit += 1) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    table[i] = crc;
  }
  return table;
}
