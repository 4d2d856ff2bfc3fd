import type { FileHandle } from 'node:fs/promises';
import { fourCc, readAt } from './read-at.js';

/** Storage format of PCM samples. */
export interface PcmEncoding {
  sampleType: 'signed' | 'unsigned' | 'float';
  /** Bytes per sample as stored (a 24-bit sample in a 32-bit container takes 4). */
  bytesPerSample: 1 | 2 | 3 | 4 | 8;
  littleEndian: boolean;
}

/** Location and encoding of the samples of a WAV or AIFF file, from its chunk headers. */
export interface PcmLayout {
  container: 'WAV' | 'AIFF';
  /** Null when the samples are compressed or in a format the PCM reader does not handle. */
  encoding: PcmEncoding | null;
  /** Format as written in the header, for messages: a WAV format tag or an AIFF-C type. */
  formatName: string;
  channels: number;
  sampleRate: number;
  bytesPerFrame: number;
  dataOffset: number;
  /** Bytes of sample data the header declares; null when a streaming writer left it unset. */
  declaredDataBytes: number | null;
  /** Bytes of sample data present in the file, at most the declared size. */
  availableDataBytes: number;
  /** Sample frames declared in the AIFF COMM chunk; null for WAV. */
  declaredFrames: number | null;
}

/** Format fields of a layout, known before the data chunk is found. */
type PcmFormat = Omit<PcmLayout, 'dataOffset' | 'declaredDataBytes' | 'availableDataBytes'>;

/** Result of reading the chunk headers: a layout, or why none was found. */
export type PcmLayoutResult = { layout: PcmLayout } | { problem: string };

const MAX_CHUNKS = 10_000;
const UNSET_SIZE = 0xffffffff;

/** Walks the RIFF (WAV, RF64, BW64) or FORM (AIFF, AIFF-C) chunks to find the sample data. */
export async function readPcmLayout(
  handle: FileHandle,
  fileSize: number,
): Promise<PcmLayoutResult> {
  const header = await readAt(handle, 0, 12);
  const id = fourCc(header, 0);
  if (header.length === 12 && (id === 'RIFF' || id === 'RF64' || id === 'BW64')) {
    return readWaveLayout(handle, fileSize);
  }
  if (header.length === 12 && id === 'FORM') {
    return readAiffLayout(handle, fileSize, fourCc(header, 8) === 'AIFC');
  }
  return { problem: 'the file has no RIFF or FORM header' };
}

async function readWaveLayout(handle: FileHandle, fileSize: number): Promise<PcmLayoutResult> {
  let format: PcmFormat | null = null;
  let data: { offset: number; declared: number | null } | null = null;
  let dataSize64: number | null = null;

  let offset = 12;
  for (let count = 0; count < MAX_CHUNKS && offset + 8 <= fileSize; count += 1) {
    const chunk = await readAt(handle, offset, 8);
    const id = fourCc(chunk, 0);
    const size = chunk.readUInt32LE(4);

    if (id === 'ds64') {
      // RF64 and BW64 files put the 64-bit data size here and write 0xFFFFFFFF in the data chunk.
      const body = await readAt(handle, offset + 8, 16);
      dataSize64 = body.length === 16 ? Number(body.readBigUInt64LE(8)) : null;
    } else if (id === 'fmt ') {
      format = parseWaveFormat(await readAt(handle, offset + 8, Math.min(size, 40)));
    } else if (id === 'data') {
      // Writers that stream the file may leave the size 0 or 0xFFFFFFFF: read to the end then.
      let declared: number | null = size === 0 ? null : size;
      if (size === UNSET_SIZE) {
        declared = dataSize64;
      }
      data = { offset: offset + 8, declared };
      if (format || declared === null) {
        break;
      }
    }
    offset += 8 + size + (size % 2);
  }

  if (!format) {
    return { problem: 'the WAV file has no readable fmt chunk' };
  }
  if (!data) {
    return { problem: 'the WAV file has no data chunk' };
  }
  return { layout: withData(format, data.offset, data.declared, fileSize) };
}

function parseWaveFormat(body: Buffer): PcmFormat | null {
  if (body.length < 16) {
    return null;
  }
  const formatTag = body.readUInt16LE(0);
  const channels = body.readUInt16LE(2);
  const sampleRate = body.readUInt32LE(4);
  const blockAlign = body.readUInt16LE(12);
  // WAVE_FORMAT_EXTENSIBLE keeps the real format code in the first two bytes of its GUID.
  const code = formatTag === 0xfffe && body.length >= 26 ? body.readUInt16LE(24) : formatTag;
  const bytesPerSample = channels > 0 ? blockAlign / channels : 0;

  let encoding: PcmEncoding | null = null;
  if (code === 1 && (bytesPerSample === 1 || bytesPerSample === 2 || bytesPerSample === 3)) {
    encoding = {
      sampleType: bytesPerSample === 1 ? 'unsigned' : 'signed',
      bytesPerSample,
      littleEndian: true,
    };
  } else if (code === 1 && bytesPerSample === 4) {
    encoding = { sampleType: 'signed', bytesPerSample, littleEndian: true };
  } else if (code === 3 && (bytesPerSample === 4 || bytesPerSample === 8)) {
    encoding = { sampleType: 'float', bytesPerSample, littleEndian: true };
  }

  return {
    container: 'WAV',
    encoding,
    formatName: `format tag 0x${code.toString(16).padStart(4, '0')}`,
    channels,
    sampleRate,
    bytesPerFrame: blockAlign,
    declaredFrames: null,
  };
}

async function readAiffLayout(
  handle: FileHandle,
  fileSize: number,
  isAifc: boolean,
): Promise<PcmLayoutResult> {
  let format: PcmFormat | null = null;
  let data: { offset: number; declared: number } | null = null;

  let offset = 12;
  for (let count = 0; count < MAX_CHUNKS && offset + 8 <= fileSize; count += 1) {
    const chunk = await readAt(handle, offset, 8);
    const id = fourCc(chunk, 0);
    const size = chunk.readUInt32BE(4);

    if (id === 'COMM') {
      format = parseAiffCommon(await readAt(handle, offset + 8, Math.min(size, 22)), isAifc);
    } else if (id === 'SSND') {
      // SSND starts with an 8-byte offset and block size. The samples begin `offset` bytes later.
      const ssnd = await readAt(handle, offset + 8, 8);
      const skip = ssnd.length === 8 ? ssnd.readUInt32BE(0) : 0;
      data = { offset: offset + 16 + skip, declared: Math.max(0, size - 8 - skip) };
      if (format) {
        break;
      }
    }
    offset += 8 + size + (size % 2);
  }

  if (!format) {
    return { problem: 'the AIFF file has no readable COMM chunk' };
  }
  if (!data) {
    return { problem: 'the AIFF file has no SSND chunk' };
  }
  return { layout: withData(format, data.offset, data.declared, fileSize) };
}

function parseAiffCommon(body: Buffer, isAifc: boolean): PcmFormat | null {
  if (body.length < 18) {
    return null;
  }
  const channels = body.readUInt16BE(0);
  const declaredFrames = body.readUInt32BE(2);
  const bits = body.readUInt16BE(6);
  const sampleRate = readExtended(body, 8);
  const compression = isAifc && body.length >= 22 ? fourCc(body, 18) : 'NONE';
  const intBytes = Math.ceil(bits / 8);

  let encoding: PcmEncoding | null = null;
  if ((compression === 'NONE' || compression === 'twos') && intBytes >= 1 && intBytes <= 4) {
    encoding = {
      sampleType: 'signed',
      bytesPerSample: intBytes as 1 | 2 | 3 | 4,
      littleEndian: false,
    };
  } else if (compression === 'sowt' && intBytes >= 2 && intBytes <= 4) {
    encoding = { sampleType: 'signed', bytesPerSample: intBytes as 2 | 3 | 4, littleEndian: true };
  } else if (compression === 'in24') {
    encoding = { sampleType: 'signed', bytesPerSample: 3, littleEndian: false };
  } else if (compression === 'in32') {
    encoding = { sampleType: 'signed', bytesPerSample: 4, littleEndian: false };
  } else if (compression === 'fl32' || compression === 'FL32') {
    encoding = { sampleType: 'float', bytesPerSample: 4, littleEndian: false };
  } else if (compression === 'fl64' || compression === 'FL64') {
    encoding = { sampleType: 'float', bytesPerSample: 8, littleEndian: false };
  } else if (compression === 'raw ') {
    encoding = { sampleType: 'unsigned', bytesPerSample: 1, littleEndian: false };
  }

  return {
    container: 'AIFF',
    encoding,
    formatName: `compression type '${compression}'`,
    channels,
    sampleRate,
    bytesPerFrame: channels * (encoding?.bytesPerSample ?? intBytes),
    declaredFrames,
  };
}

function withData(
  format: PcmFormat,
  dataOffset: number,
  declaredDataBytes: number | null,
  fileSize: number,
): PcmLayout {
  const present = Math.max(0, fileSize - dataOffset);
  const available = declaredDataBytes === null ? present : Math.min(present, declaredDataBytes);
  return { ...format, dataOffset, declaredDataBytes, availableDataBytes: available };
}

/** Decodes the 80-bit IEEE 754 extended float that AIFF uses for its sample rate. */
function readExtended(bytes: Buffer, offset: number): number {
  const exponent = bytes.readUInt16BE(offset) & 0x7fff;
  const mantissa = bytes.readUInt32BE(offset + 2) * 2 ** 32 + bytes.readUInt32BE(offset + 6);
  if (exponent === 0 && mantissa === 0) {
    return 0;
  }
  return mantissa * 2 ** (exponent - 16383 - 63);
}
