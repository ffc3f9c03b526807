/**
 * CRC-16 of SIA DC-09 5.5.1.2 (the DC-07 CRC): polynomial x^16 + x^15 + x^2 + 1 processed
 * LSB-first (reflected 0x8005 = 0xA001), initial value 0, no final XOR — the catalogued
 * "CRC-16/ARC". Its check value over ASCII "123456789" is 0xBB3D.
 */

/** Byte-indexed table, built once per process; immutable after construction. */
const TABLE: readonly number[] = Object.freeze(
  Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    return c;
  }),
);

export function crc16Arc(data: Uint8Array | string): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  let crc = 0;
  for (const b of bytes) crc = (crc >>> 8) ^ (TABLE[(crc ^ b) & 0xff] as number);
  return crc;
}

/** The 4 upper-case hex characters DC-09 5.5.1.2 puts in front of the length. */
export function crc16Hex(data: Uint8Array | string): string {
  return crc16Arc(data).toString(16).toUpperCase().padStart(4, '0');
}
