import type { inspectFile } from './inspect/inspect-file';

export type { AudioInspection, Inspection, RejectedInspection } from './inspect/types';

/** Inspects one local file: format, tags, hashes per part and waveform peaks. */
export type InspectFile = typeof inspectFile;
