/**
 * How far a long write has got (a model's weights, tensor by tensor), reported after each tensor so that
 * a caller can show progress. The totals are known before the first tensor is written.
 */
export interface WriteProgress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export type WriteProgressListener = (progress: WriteProgress) => void;
