import { statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { missingProvider, PROVIDER_CHOICES, type ProviderChoice } from '../engine/execution-provider.js';
import { UsageError } from './usage-error.js';

/** One `llama-endpoint <name>` subcommand. `run` resolves to the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with our conventions: unknown flags are a UsageError, and each option may fall back to an
 * environment variable (flags win).
 */
export function parseCommandArgs<T extends Options>(
  argv: string[],
  options: T,
  env: Partial<Record<keyof T, string>> = {},
  allowPositionals = false,
) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, unknown>;
  for (const [key, variable] of Object.entries(env)) {
    const fromEnv = variable === undefined ? undefined : process.env[variable];
    if (values[key] === undefined && fromEnv !== undefined && fromEnv !== '') {
      const option = options[key];
      values[key] = option?.multiple ? fromEnv.split(',').map((s) => s.trim()) : fromEnv;
    }
  }
  return parsed;
}

/** A whole number flag within [min, max]; absent → fallback. */
export function intFlag(
  name: string,
  value: unknown,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${String(value)}'`);
  }
  return n;
}

/** A number flag within [min, max]; absent → fallback. */
export function numberFlag(name: string, value: unknown, fallback: number, min = -Infinity, max = Infinity) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${String(value)}'`);
  }
  return n;
}

/** A flag that takes one of a few words; absent → fallback. */
export function oneOfFlag<const T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

export function requireFlag(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** A required flag naming an existing directory (a model directory, say). */
export function directoryFlag(name: string, value: string | undefined): string {
  const path = requireFlag(name, value);
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--${name} '${path}' is not a directory`);
  }
  return path;
}

/**
 * An execution provider flag: one of PROVIDER_CHOICES. A provider named explicitly whose libraries are missing
 * here fails now, with one line saying how to install it (exit 1), before any model is loaded.
 */
export function providerFlag(value: string | undefined): ProviderChoice {
  const provider = oneOfFlag('provider', value, PROVIDER_CHOICES, 'cpu');
  const missing = provider === 'auto' ? undefined : missingProvider(provider);
  if (missing !== undefined) throw new Error(`--provider ${provider}: ${missing}`);
  return provider;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** A byte size such as 2GiB, 512MiB, 1.5GB or 1000000; absent → undefined. */
export function sizeFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? 'none'];
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new UsageError(`--${name} must be a size such as 2GiB, 512MiB or 1000000 (bytes), got '${value}'`);
  }
  return Math.floor(Number(match[1]) * unit);
}
