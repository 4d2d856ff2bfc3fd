import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * Reflected CRC with initial value and final XOR of all ones, the form shared by CRC-32,
 * CRC-32C and CRC-64/NVME. `update` takes and returns the finished (post-XOR) value, so a
 * running CRC can be fed chunk by chunk starting from 0.
 */
export interface CrcFunction {
  width: 32 | 64;
  /** Reflected generator polynomial. */
  polynomial: bigint;
  update(crc: bigint, data: Uint8Array): bigint;
}

const SLICES = 8;

function reflectedTable(polynomial: bigint, width: number): bigint[] {
  const table: bigint[] = [];
  for (let n = 0n; n < 256n; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1n ? (crc >> 1n) ^ polynomial : crc >> 1n;
    }
    table.push(crc & ((1n << BigInt(width)) - 1n));
  }
  return table;
}

// Slice-by-8 tables: slice k advances a byte through k further zero bytes.
function sliceTables(polynomial: bigint, width: number): bigint[] {
  const base = reflectedTable(polynomial, width);
  const tables = [...base];
  for (let slice = 1; slice < SLICES; slice++) {
    for (let n = 0; n < 256; n++) {
      const previous = tables[(slice - 1) * 256 + n] ?? 0n;
      tables.push((previous >> 8n) ^ (base[Number(previous & 0xffn)] ?? 0n));
    }
  }
  return tables;
}

function createCrc32c(): CrcFunction {
  const polynomial = 0x82f63b78n;
  const table = Uint32Array.from(sliceTables(polynomial, 32), Number);
  const t = (slice: number, index: number): number => table[slice * 256 + index] as number;

  const update = (crc: bigint, data: Uint8Array): bigint => {
    let c = ~Number(crc) >>> 0;
    let i = 0;
    for (; i + 8 <= data.length; i += 8) {
      const a =
        (c ^
          ((data[i] as number) |
            ((data[i + 1] as number) << 8) |
            ((data[i + 2] as number) << 16) |
            ((data[i + 3] as number) << 24))) >>>
        0;
      c =
        t(7, a & 0xff) ^
        t(6, (a >>> 8) & 0xff) ^
        t(5, (a >>> 16) & 0xff) ^
        t(4, a >>> 24) ^
        t(3, data[i + 4] as number) ^
        t(2, data[i + 5] as number) ^
        t(1, data[i + 6] as number) ^
        t(0, data[i + 7] as number);
    }
    for (; i < data.length; i++) {
      c = t(0, (c ^ (data[i] as number)) & 0xff) ^ (c >>> 8);
    }
    return BigInt(~c >>> 0);
  };
  return { width: 32, polynomial, update };
}

function createCrc64Nvme(): CrcFunction {
  const polynomial = 0x9a6c9329ac4bc9b5n;
  const wide = reflectedTable(polynomial, 64);
  const low = Uint32Array.from(wide, (value) => Number(value & 0xffffffffn));
  const high = Uint32Array.from(wide, (value) => Number(value >> 32n));

  // NOTE: byte-at-a-time, so slower than CRC-32C; S3 clients send CRC-64/NVME only on request.
  const update = (crc: bigint, data: Uint8Array): bigint => {
    const inverted = ~crc & 0xffffffffffffffffn;
    let lo = Number(inverted & 0xffffffffn);
    let hi = Number(inverted >> 32n);
    for (let i = 0; i < data.length; i++) {
      const index = (lo ^ (data[i] as number)) & 0xff;
      // Shift the 64-bit value right by 8 across the two halves, then fold in the table entry.
      lo = ((lo >>> 8) | (hi << 24)) ^ (low[index] as number);
      hi = (hi >>> 8) ^ (high[index] as number);
    }
    const result = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return ~result & 0xffffffffffffffffn;
  };
  return { width: 64, polynomial, update };
}

/** CRC-32 (ISO-HDLC), computed by zlib. */
export const CRC32: CrcFunction = {
  width: 32,
  polynomial: 0xedb88320n,
  update: (crc, data) => BigInt(zlibCrc32(data, Number(crc))),
};

/** CRC-32C (Castagnoli). */
export const CRC32C: CrcFunction = createCrc32c();

/** CRC-64/NVME, the default full-object checksum of S3. */
export const CRC64NVME: CrcFunction = createCrc64Nvme();

// Multiplies two polynomials modulo the generator, all in reflected bit order.
function multiplyModulo(a: bigint, b: bigint, crc: CrcFunction): bigint {
  const top = 1n << BigInt(crc.width - 1);
  let product = 0n;
  for (let mask = top; mask > 0n; mask >>= 1n) {
    if (a & mask) {
      product ^= b;
    }
    b = b & 1n ? (b >> 1n) ^ crc.polynomial : b >> 1n;
  }
  return product;
}

// Returns x^(8 * byteCount) modulo the generator by repeated squaring.
function shiftOperator(byteCount: number, crc: CrcFunction): bigint {
  let result = 1n << BigInt(crc.width - 1);
  let square = 1n << BigInt(crc.width - 1 - 8);
  for (let n = BigInt(byteCount); n > 0n; n >>= 1n) {
    if (n & 1n) {
      result = multiplyModulo(square, result, crc);
    }
    square = multiplyModulo(square, square, crc);
  }
  return result;
}

/**
 * Combines the CRC of A and the CRC of B (of `lengthB` bytes) into the CRC of A followed by B.
 * S3 uses this to build full-object CRCs of multipart uploads from the part CRCs.
 */
export function combineCrc(crc: CrcFunction, crcA: bigint, crcB: bigint, lengthB: number): bigint {
  return multiplyModulo(shiftOperator(lengthB, crc), crcA, crc) ^ crcB;
}
