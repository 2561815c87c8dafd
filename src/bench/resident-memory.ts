/**
 * A process's resident memory, sampled while a benchmark runs: flat figures mean nothing is allocated and
 * kept per token. Linux only (/proc); elsewhere there are no samples.
 */
import { readFileSync } from 'node:fs';

const MiB = 2 ** 20;

/** VmRSS of `pid` in MiB, or undefined where /proc cannot tell. */
function residentMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? (Number(match[1]) * 1024) / MiB : undefined;
  } catch {
    return undefined;
  }
}

/** Samples every `intervalMs` until `stop()`, which returns the samples in order. */
export function sampleResidentMemory(pid: number, intervalMs: number): { stop(): number[] } {
  const samples: number[] = [];
  const sample = () => {
    const mib = residentMiB(pid);
    if (mib !== undefined) samples.push(mib);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return samples;
    },
  };
}
