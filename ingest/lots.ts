// Which lots one ingest instance owns, so that several instances share a city
// without ever writing the same documents: every lot belongs to one of them.
//
// - all lots (the default, one instance);
// - a list (`--lots mall-1,mall-2`): subscribes to those lots' topics alone;
// - a hash partition (`--partition i/n`): lot L belongs to instance i when
//   fnv1a32(L) mod n == i. It subscribes to every lot (new lots need no
//   configuration) and drops other lots' messages first thing, from the topic
//   text, before any payload is decoded.
import { createHash } from 'node:crypto';
import type { Topics } from '../contract/index.ts';

export type LotSelection =
  | { kind: 'all' }
  | { kind: 'lots'; lots: readonly string[] }
  | { kind: 'partition'; index: number; count: number };

export const ALL_LOTS: LotSelection = Object.freeze({ kind: 'all' });

/** The selection from the settings `ingestLots` and `ingestPartition` (at most one of them set). */
export function lotSelection(lots: readonly string[] | undefined, partition: { index: number; count: number } | undefined): LotSelection {
  if (lots && partition) throw new Error('a lot list and a partition exclude each other');
  if (lots) return { kind: 'lots', lots: [...lots] };
  if (partition) return { kind: 'partition', index: partition.index, count: partition.count };
  return ALL_LOTS;
}

/**
 * FNV-1a, 32 bits, over the id's characters (ids are ASCII, so these are its
 * UTF-8 bytes). Stable across versions, platforms and languages: the partition
 * of a lot never moves unless `n` does.
 */
export function lotHash(lot: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < lot.length; i++) {
    h ^= lot.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The part (0 to n-1) of `n` that `lot` belongs to. */
export const partitionOf = (lot: string, n: number): number => lotHash(lot) % n;

/** The lots a selection holds, answered from a small cache (a city has a few hundred lots at most). */
export class LotFilter {
  readonly all: boolean;
  private readonly known = new Map<string, boolean>();

  constructor(readonly selection: LotSelection = ALL_LOTS) {
    this.all = selection.kind === 'all';
    if (selection.kind === 'lots') for (const lot of selection.lots) this.known.set(lot, true);
  }

  has(lot: string): boolean {
    const { selection } = this;
    if (selection.kind === 'all') return true;
    const cached = this.known.get(lot);
    if (cached !== undefined) return cached;
    if (selection.kind === 'lots') return false;
    const mine = partitionOf(lot, selection.count) === selection.index;
    if (this.known.size < 100_000) this.known.set(lot, mine);
    return mine;
  }

  /** Whether a message on `topic` (under `root`) is of a lot of this selection; read from the topic text alone. */
  hasTopic(topic: string, root: string): boolean {
    if (this.all) return true;
    const start = root.length + 1;
    const end = topic.indexOf('/', start);
    return topic.startsWith(root) && topic.charCodeAt(root.length) === 0x2f && this.has(topic.slice(start, end < 0 ? undefined : end));
  }

  /** The listed lots, or undefined when the selection is not a list. */
  get listed(): readonly string[] | undefined {
    return this.selection.kind === 'lots' ? this.selection.lots : undefined;
  }

  /** Subscription filters: the slot and device-status topics of the listed lots, or of every lot. */
  filters(topics: Topics): string[] {
    const lots = this.listed;
    if (!lots) return [topics.filters.slots, topics.filters.deviceStatus];
    return lots.flatMap((lot) => [`${topics.root}/${lot}/slot/+/+`, `${topics.root}/${lot}/device/+/status`]);
  }

  /** How logs and the start line show the selection. */
  describe(): string {
    const s = this.selection;
    if (s.kind === 'all') return 'every lot';
    if (s.kind === 'lots') return `lots ${s.lots.join(',')}`;
    return `partition ${s.index}/${s.count}`;
  }

  /**
   * The spill subdirectory of this selection (ingest/spill.ts), so that an
   * instance takes back only what an instance of the same selection left:
   * undefined for every lot (the data directory's `ingest` itself).
   */
  spillName(): string | undefined {
    const s = this.selection;
    if (s.kind === 'all') return undefined;
    if (s.kind === 'partition') return `partition-${s.index}-of-${s.count}`;
    const name = [...new Set(s.lots)].sort().join(',');
    return name.length <= 100 ? `lots-${name}` : `lots-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
  }
}
