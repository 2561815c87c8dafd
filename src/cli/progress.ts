/**
 * Progress of a long write (convert, create-random, quantize) on stderr: on a terminal, a bar redrawn in
 * place (cli-progress) with tensors and bytes done, rate and time left; anywhere else (a log file, a CI
 * job, a pipe) plain lines: one at the start, one every `intervalMs`, one at the end.
 */
import cliProgress from 'cli-progress';
import type { WriteProgress, WriteProgressListener } from '../modelgen/write-progress.js';

export interface ProgressOptions {
  /** Default: process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Plain lines: at most one per this many milliseconds between the first and the last. Default 5000. */
  intervalMs?: number;
}

/** Decimal units, as disk sizes are given, to 3 significant digits. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Rate and time left need a little history before they mean anything. */
const MIN_SECONDS_FOR_RATE = 0.5;

class ProgressReporter {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly intervalMs: number;
  private readonly started = Date.now();
  private lastLine = 0;
  private latest: WriteProgress | undefined;
  private bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly label: string,
    options: ProgressOptions,
  ) {
    this.stream = options.stream ?? process.stderr;
    this.intervalMs = options.intervalMs ?? 5000;
  }

  readonly update: WriteProgressListener = (progress) => {
    this.latest = progress;
    const figures = this.figures(progress);
    if (this.stream.isTTY) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            stream: this.stream,
            format: `${this.label} [{bar}] {percentage}% | {tensors} tensors | {bytes} | {rate} | {left}`,
            barsize: 30,
            hideCursor: false,
            clearOnComplete: true,
            // No SIGINT handler: the write is synchronous, and a handler would keep Ctrl-C from ending it.
            gracefulExit: false,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(progress.bytesTotal, progress.bytesDone, figures);
      } else {
        this.bar.update(progress.bytesDone, figures);
      }
      return;
    }
    const now = Date.now();
    if (this.lastLine === 0) {
      this.lastLine = now;
      this.line(`${progress.tensorsTotal} tensors, ${formatBytes(progress.bytesTotal)} to write`);
    } else if (now - this.lastLine >= this.intervalMs && progress.bytesDone < progress.bytesTotal) {
      this.lastLine = now;
      const percent = Math.floor((100 * progress.bytesDone) / Math.max(1, progress.bytesTotal));
      this.line(
        `${figures.tensors} tensors, ${figures.bytes} (${percent}%), ${figures.rate}, ${figures.left}`,
      );
    }
  };

  private figures(progress: WriteProgress) {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds >= MIN_SECONDS_FOR_RATE ? progress.bytesDone / seconds : 0;
    const remaining = rate > 0 ? (progress.bytesTotal - progress.bytesDone) / rate : undefined;
    return {
      tensors: `${progress.tensorsDone}/${progress.tensorsTotal}`,
      bytes: `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`,
      rate: rate > 0 ? `${formatBytes(rate)}/s` : '-- MB/s',
      left: remaining === undefined ? 'ETA --' : `ETA ${formatDuration(remaining)}`,
    };
  }

  private line(text: string): void {
    this.stream.write(`${this.label}: ${text}\n`);
  }

  /** Ends the bar; after a completed write, one line says what was written and how fast. */
  finish(completed: boolean): void {
    this.bar?.stop();
    this.bar = undefined;
    const p = this.latest;
    if (!completed || !p) return;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? `, ${formatBytes(p.bytesDone / seconds)}/s` : '';
    this.line(
      `wrote ${p.tensorsDone} tensors, ${formatBytes(p.bytesDone)} in ${formatDuration(seconds)}${rate}`,
    );
  }
}

/**
 * Runs `write` with a progress listener shown as described above, labelled `label` (the command's name).
 * The bar is taken down whether the write succeeds or fails, so an error message starts on a line of its own.
 */
export async function withProgress<T>(
  label: string,
  write: (onProgress: WriteProgressListener) => Promise<T>,
  options: ProgressOptions = {},
): Promise<T> {
  const reporter = new ProgressReporter(label, options);
  let completed = false;
  try {
    const result = await write(reporter.update);
    completed = true;
    return result;
  } finally {
    reporter.finish(completed);
  }
}
