// The options a replay runs with: what the command line asked for, completed
// by the hints a trace carries in its metadata. A case study such as the
// 32-bit address-space trace only shows its point in the 32-bit mode, so the
// trace can ask for it; an explicit command-line choice always wins.
import type { AddressSpaceOptions } from '../allocators/address-space.ts';
import { parseBytes } from '../allocators/units.ts';
import type { TraceMeta } from '../traces/types.ts';
import { UsageError } from './cli-errors.ts';
import type { RunOptionsRecord } from './result.ts';

export type TouchPolicy = 'full' | 'none';

/** What the command line set; `undefined` means "not given" so that trace hints may apply. */
export interface RunOptionsInput {
  touch?: TouchPolicy;
  tickNs?: number;
  memoryLimitBytes?: number;
  addressSpaceBits?: 32 | 64;
  lenient?: boolean;
  /** The shard of the run matrix this run belongs to ("2/4"), when sharded. */
  shard?: string;
}

export const DEFAULT_TICK_NS = 1000;

/** The user space a 32-bit process gets (Linux i386 default split, as AddressSpace assumes). */
export const DEFAULT_USER_SPACE_32 = 3 * 1024 * 1024 * 1024;

/** Trace metadata keys the harness honours. */
export const HINT_ADDRESS_SPACE = 'address-space';
export const HINT_MEMORY_LIMIT = 'memory-limit';

/** The record of the command-line options alone, for the result file header (the shard included). */
export function commandOptionsRecord(input: RunOptionsInput): RunOptionsRecord {
  const bits = input.addressSpaceBits ?? 64;
  return {
    touch: input.touch ?? 'full',
    tickNs: input.tickNs ?? DEFAULT_TICK_NS,
    memoryLimitBytes: input.memoryLimitBytes ?? null,
    addressSpaceBits: bits,
    ...(bits === 32 ? { userSpaceBytes: DEFAULT_USER_SPACE_32 } : {}),
    lenient: input.lenient ?? false,
    // null when unsharded, as `merge` writes it, so merged shards and one whole run give the same file.
    shard: input.shard ?? null,
  };
}

function hintAddressSpace(meta: TraceMeta, tracePath: string): 32 | 64 | undefined {
  const text = meta[HINT_ADDRESS_SPACE];
  if (text === undefined) return undefined;
  const v = text.trim();
  if (v === '32' || v === '64') return v === '32' ? 32 : 64;
  throw new UsageError(`${tracePath}: metadata "# ${HINT_ADDRESS_SPACE}: ${text}" is not valid; expected 32 or 64`);
}

function hintMemoryLimit(meta: TraceMeta, tracePath: string): number | undefined {
  const text = meta[HINT_MEMORY_LIMIT];
  if (text === undefined) return undefined;
  const v = parseBytes(text);
  if (v === null || v <= 0) {
    throw new UsageError(`${tracePath}: metadata "# ${HINT_MEMORY_LIMIT}: ${text}" is not valid; expected a byte size such as 2GiB`);
  }
  return v;
}

/** The options one run uses: the command line first, then the trace's hints, then the defaults. */
export function effectiveRunOptions(input: RunOptionsInput, meta: TraceMeta, tracePath: string): RunOptionsRecord {
  const bits = input.addressSpaceBits ?? hintAddressSpace(meta, tracePath) ?? 64;
  const limit = input.memoryLimitBytes ?? hintMemoryLimit(meta, tracePath) ?? null;
  // A run's own record leaves the shard out: a run is the same whichever shard ran it, so merged shards equal one whole run.
  const { shard: _shard, ...record } = commandOptionsRecord({ ...input, addressSpaceBits: bits, memoryLimitBytes: limit ?? undefined });
  return record;
}

/** The AddressSpace a run's model is built on. */
export function addressSpaceOptionsFor(record: RunOptionsRecord): AddressSpaceOptions {
  return record.addressSpaceBits === 32 ? { bits: 32, userSpaceBytes: record.userSpaceBytes ?? DEFAULT_USER_SPACE_32 } : { bits: 64 };
}

/** Parse `--memory-limit 2GiB`; a clear UsageError otherwise. */
export function parseMemoryLimit(text: string): number {
  const v = parseBytes(text);
  if (v === null || v <= 0) throw new UsageError(`--memory-limit "${text}" is not valid; expected a positive byte size such as 2GiB or 512MiB`);
  return v;
}
