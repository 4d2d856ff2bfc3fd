import type { FileHandle } from 'node:fs/promises';
import { fourCc, isPrintableFourCc, readAt } from './read-at.js';

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
  /** Sample frames declared in the AIFF COMM chunk; null for WAV, or when the data size is unset. */
  declaredFrames: number | null;
  /** Size of the file as the RIFF or FORM header declares it; null when the writer left it unset. */
  declaredFileBytes: number | null;
  fileBytes: number;
  /** Chunk after the sample data that the end of the file cuts off, such as a cut `ID3 ` chunk. */
  cutChunk: CutChunk | null;
}

/** A chunk that runs past the end of the file. */
export interface CutChunk {
  id: string;
  declaredBytes: number;
  presentBytes: number;
}

/** Format fields of a layout, known before the data chunk is found. */
type PcmFormat = Omit<
  PcmLayout,
  | 'dataOffset'
  | 'declaredDataBytes'
  | 'availableDataBytes'
  | 'declaredFileBytes'
  | 'fileBytes'
  | 'cutChunk'
>;

/** The sample data chunk: where its samples start and the size its header declares. */
interface DataChunk {
  offset: number;
  /** Null when the writer left the size unset. */
  declared: number | null;
}

/** Result of reading the chunk headers: a layout, or why none was found. */
export type PcmLayoutResult = { layout: PcmLayout } | { problem: string };

const MAX_CHUNKS = 10_000;
const UNSET_SIZE = 0xffffffff;
/**
 * Sizes that SoX 14.4 writes when its output is a pipe and the length is unknown: the data chunk
 * of a WAV file, and the SSND chunk of an AIFF file. Such a size counts as unset only when it
 * runs past the end of the file.
 */
const SOX_UNSET_WAVE_DATA_SIZE = 0x7ffff000;
const SOX_UNSET_SSND_SIZE = 0x7f000008;

/** Walks the RIFF (WAV, RF64, BW64) or FORM (AIFF, AIFF-C) chunks to find the sample data. */
export async function readPcmLayout(
  handle: FileHandle,
  fileSize: number,
): Promise<PcmLayoutResult> {
  const header = await readAt(handle, 0, 12);
  const id = fourCc(header, 0);
  if (header.length === 12 && (id === 'RIFF' || id === 'RF64' || id === 'BW64')) {
    return readWaveLayout(handle, fileSize, header);
  }
  if (header.length === 12 && id === 'FORM') {
    return readAiffLayout(handle, fileSize, header);
  }
  return { problem: 'the file has no RIFF or FORM header' };
}

async function readWaveLayout(
  handle: FileHandle,
  fileSize: number,
  header: Buffer,
): Promise<PcmLayoutResult> {
  let riffSize: number | null = header.readUInt32LE(4);
  let format: PcmFormat | null = null;
  let data: DataChunk | null = null;
  let dataSize64: number | null = null;

  let offset = 12;
  for (let count = 0; count < MAX_CHUNKS && offset + 8 <= fileSize; count += 1) {
    const chunk = await readAt(handle, offset, 8);
    const id = fourCc(chunk, 0);
    const size = chunk.readUInt32LE(4);

    if (id === 'ds64') {
      // RF64 and BW64 files put the 64-bit RIFF and data sizes here, and 0xFFFFFFFF in the
      // RIFF header and the data chunk.
      const body = await readAt(handle, offset + 8, 16);
      riffSize = body.length === 16 ? Number(body.readBigUInt64LE(0)) : null;
      dataSize64 = body.length === 16 ? Number(body.readBigUInt64LE(8)) : null;
    } else if (id === 'fmt ') {
      format = parseWaveFormat(await readAt(handle, offset + 8, Math.min(size, 40)));
    } else if (id === 'data') {
      data = { offset: offset + 8, declared: waveDataSize(size, dataSize64, offset + 8, fileSize) };
      if (format || data.declared === null) {
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
  return { layout: await withData(handle, format, data, riffSize, fileSize, true) };
}

/** Returns the data size a WAV data chunk declares, or null when the writer left it unset. */
function waveDataSize(
  size: number,
  size64: number | null,
  dataOffset: number,
  fileSize: number,
): number | null {
  // Writers that stream the file may leave the size 0 or 0xFFFFFFFF: read to the end then.
  if (size === 0) {
    return null;
  }
  if (size === UNSET_SIZE) {
    return size64;
  }
  if (size === SOX_UNSET_WAVE_DATA_SIZE && dataOffset + size > fileSize) {
    return null;
  }
  return size;
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
  header: Buffer,
): Promise<PcmLayoutResult> {
  const isAifc = fourCc(header, 8) === 'AIFC';
  const formSize = header.readUInt32BE(4);
  let format: PcmFormat | null = null;
  let data: DataChunk | null = null;

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
      const unset = size === 0 || (size === SOX_UNSET_SSND_SIZE && offset + 8 + size > fileSize);
      data = {
        offset: offset + 16 + skip,
        declared: unset ? null : Math.max(0, size - 8 - skip),
      };
      if (format || unset) {
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
  if (data.declared === null) {
    // A writer that did not know the data size did not know the frame count either.
    format = { ...format, declaredFrames: null };
  }
  return { layout: await withData(handle, format, data, formSize, fileSize, false) };
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

async function withData(
  handle: FileHandle,
  format: PcmFormat,
  data: DataChunk,
  headerSize: number | null,
  fileSize: number,
  littleEndian: boolean,
): Promise<PcmLayout> {
  const present = Math.max(0, fileSize - data.offset);
  const available = data.declared === null ? present : Math.min(present, data.declared);
  const layout: PcmLayout = {
    ...format,
    dataOffset: data.offset,
    declaredDataBytes: data.declared,
    availableDataBytes: available,
    declaredFileBytes: null,
    fileBytes: fileSize,
    cutChunk: null,
  };

  // Writers that leave the data size unset leave the header size unset or wrong too (ffmpeg
  // writes 0xFFFFFFFF, SoX a placeholder). After a cut data chunk there are no chunks to check.
  if (data.declared === null || data.offset + data.declared > fileSize) {
    return layout;
  }
  if (headerSize !== null && headerSize !== 0 && headerSize !== UNSET_SIZE) {
    layout.declaredFileBytes = headerSize + 8;
  }
  const dataEnd = data.offset + data.declared + (data.declared % 2);
  layout.cutChunk = await findCutChunk(handle, dataEnd, fileSize, littleEndian);
  return layout;
}

/** Walks the chunks from `offset` on and returns the first that runs past the end of the file. */
async function findCutChunk(
  handle: FileHandle,
  offset: number,
  fileSize: number,
  littleEndian: boolean,
): Promise<CutChunk | null> {
  for (let count = 0; count < MAX_CHUNKS && offset + 8 <= fileSize; count += 1) {
    const header = await readAt(handle, offset, 8);
    const id = fourCc(header, 0);
    if (!isPrintableFourCc(id)) {
      // Padding or bytes appended by another program, not a chunk.
      return null;
    }
    const size = littleEndian ? header.readUInt32LE(4) : header.readUInt32BE(4);
    if (offset + 8 + size > fileSize) {
      return { id, declaredBytes: size, presentBytes: fileSize - offset - 8 };
    }
    offset += 8 + size + (size % 2);
  }
  return null;
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
