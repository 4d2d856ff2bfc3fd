// Types of the benchmark results and the plain-text tables that bench/run.ts prints.
import type { Quantity, Spread } from './bench-support';
import type { EmbeddedS3BenchResult } from './embedded-s3-throughput';
import type { ThreadResult } from './main-thread';
import type { ResumeResult, RerunResult } from './upload-scenarios';
import type { ThrottledUploadResult } from './throttled-uploads';
import type { PeaksBenchResult, UploadBenchResult } from './uploads';

/** Description of the machine a run measured. */
export interface Machine {
  cpuModel: string;
  cores: Quantity;
  availableParallelism: Quantity;
  memory: Quantity;
  node: string;
  os: string;
  awsCli: string | null;
  rclone: string | null;
  loadAverageAtStart: Quantity[];
  loadAverageAtEnd: Quantity[];
}

/** Everything one run of bench/run.ts measured, as written to the JSON file. */
export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  rounds: Quantity;
  /** Rounds of the throttled scenario; 0 when it was left out. */
  linkRounds: Quantity;
  firstUpload: UploadBenchResult;
  /** First upload through a throttled link, one entry per link rate. */
  throttledUpload: ThrottledUploadResult[];
  rerunUnchanged: RerunResult[];
  resumeAfterKill: ResumeResult[];
  /** The calling thread while one file is inspected. */
  inspectionDelay: ThreadResult[];
  /** The calling thread while the upload engine uploads the set. */
  uploadDelay: ThreadResult[];
  peaks: PeaksBenchResult[] | null;
  embeddedS3: EmbeddedS3BenchResult;
  signing: Record<
    | 'cannedSignatures'
    | 'customSignatures'
    | 's3Presigns'
    | 'playWithoutCache'
    | 'playWithCache'
    | 'iterations',
    Quantity
  >;
}

/** Prints one table per scenario. */
export function printSummary(results: BenchResults): void {
  const { firstUpload } = results;
  console.log(
    formatTable(
      `First upload: ${firstUpload.files.value} files, ${showQuantity(firstUpload.totalSize, 0)}, median (min-max) of the rounds`,
      ['tool', 'wall time', 'throughput', 'client CPU', 'server CPU', 'Cratebox speed ratio'],
      firstUpload.tools.map((entry) => [
        entry.tool,
        entry.skipped ?? showSpread(entry.seconds),
        showQuantity(entry.throughput, 1),
        showSpread(entry.clientCpuSeconds, 1),
        showSpread(entry.serverCpuSeconds, 1),
        entry.tool === 'cratebox' ? '' : showQuantity(firstUpload.ratios[entry.tool]),
      ]),
    ),
  );
  for (const link of results.throttledUpload) {
    console.log(
      formatTable(
        `First upload through a ${showQuantity(link.linkRate, 0)} link, median (min-max) of the rounds`,
        ['tool', 'wall time', 'throughput', 'link use', 'client CPU', 'Cratebox speed ratio'],
        link.tools.map((entry) => [
          entry.tool,
          entry.skipped ?? showSpread(entry.seconds),
          showQuantity(entry.throughput, 1),
          showSpread(entry.linkUse),
          showSpread(entry.clientCpuSeconds, 1),
          entry.tool === 'cratebox' ? '' : showQuantity(link.ratios[entry.tool]),
        ]),
      ),
    );
  }
  console.log(
    formatTable(
      'Upload the unchanged set again',
      ['tool', 'wall time', 'bytes sent'],
      results.rerunUnchanged.map((entry) => [
        entry.tool,
        showSpread(entry.seconds),
        showSpread(entry.bytesSent, 1),
      ]),
    ),
  );
  console.log(
    formatTable(
      'Killed half way through one file, then run again',
      ['tool', 'file size', 'bytes sent in total', 'sent / file size', 'second run'],
      results.resumeAfterKill.map((entry) => [
        entry.tool,
        showQuantity(entry.fileSize, 0),
        showSpread(entry.bytesSent, 0),
        showSpread(entry.sentPerFileByte),
        showSpread(entry.secondRunSeconds),
      ]),
    ),
  );
  console.log(
    formatTable(
      'Event-loop delay of the calling thread (the Electron main process in the app)',
      ['task', 'inspections run on', 'wall time', 'delay p99', 'delay max', 'loop busy'],
      [...results.inspectionDelay, ...results.uploadDelay].map((entry) => [
        entry.task,
        entry.inspection,
        showSpread(entry.seconds),
        showSpread(entry.delayP99, 0),
        showSpread(entry.delayMax, 0),
        showSpread(entry.utilization, 0),
      ]),
    ),
  );
  if (results.peaks !== null) {
    console.log(
      formatTable(
        'Waveform peaks (inspectFile on one thread)',
        ['file', 'inspect time', 'speed'],
        results.peaks.map((entry) => [
          entry.format,
          showQuantity(entry.inspectTime),
          `${showQuantity(entry.realTimeMultiple, 0)} real time`,
        ]),
      ),
    );
  }
  const s3 = results.embeddedS3;
  console.log(
    formatTable(
      'Embedded S3 server, client in the same process, 200 MiB',
      ['operation', 'throughput'],
      [
        ['lib-storage upload, default checksums', showQuantity(s3.uploadDefaultChecksums, 0)],
        ['lib-storage upload, WHEN_REQUIRED', showQuantity(s3.uploadWhenRequired, 0)],
        ['ranged GET, presigned URL over node:http', showQuantity(s3.rangedGetPresignedHttp, 0)],
        ['ranged GET, SDK GetObject', showQuantity(s3.rangedGetSdk, 0)],
      ],
    ),
  );
  const signing = results.signing;
  console.log(
    formatTable(
      'Signing',
      ['measurement', 'value'],
      [
        ['CloudFront canned-policy signatures', showQuantity(signing.cannedSignatures, 0)],
        ['CloudFront custom-policy signatures', showQuantity(signing.customSignatures, 0)],
        ['S3 presigned URLs', showQuantity(signing.s3Presigns, 0)],
        ['play request, URL signed', showQuantity(signing.playWithoutCache, 1)],
        ['play request, URL cached', showQuantity(signing.playWithCache, 1)],
      ],
    ),
  );
}

/** Formats rows under a header line, each column as wide as its widest cell. */
function formatTable(title: string, header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [`\n${title}`, line(header), rule, ...rows.map(line)].join('\n');
}

/** Formats a spread as `median (min-max) unit`. */
function showSpread(value: Spread | null, digits = 2): string {
  if (value === null) {
    return '-';
  }
  const fixed = (number: number): string => number.toFixed(digits);
  return `${fixed(value.median)} (${fixed(value.min)}-${fixed(value.max)}) ${value.unit}`;
}

/** Formats a quantity as `value unit`. */
function showQuantity(value: Quantity | null | undefined, digits = 2): string {
  return value === null || value === undefined
    ? '-'
    : `${value.value.toFixed(digits)} ${value.unit}`;
}
