// What the lot configuration says of a slot, and the totals it fixes. Pure.
//
// A lot in the configuration is closed: only its listed slots count, and a
// message for any other slot of it (a typo'd level, a sensor moved without
// telling anyone) is refused. A lot not in it is discovered from its topics,
// as without a configuration.
import type { LevelTotals } from '../contract/index.ts';
import type { LayoutSpec } from './parse.ts';

/** A lot's display name and local time (`PARKING_FLOWS_LOTS`, flows/env.ts). */
export interface LotInfo {
  name?: string;
  utcOffset?: string;
}

/** `counted`: a configured, active slot, or any slot of a lot the configuration does not name. */
export type SlotVerdict = 'counted' | 'unknown' | 'retired';

export interface LotSummary {
  lot: string;
  name?: string;
  levels: Array<{ level: string; name?: string; slots: number; retired: number }>;
}

export class LotLayout {
  private readonly active = new Map<string, Set<string>>();
  private readonly retired = new Map<string, Set<string>>();
  private readonly totals = new Map<string, LevelTotals>();

  constructor(readonly spec: LayoutSpec = { lots: {} }) {
    for (const [lot, lotSpec] of Object.entries(spec.lots)) {
      const totals: LevelTotals = {};
      for (const [level, levelSpec] of Object.entries(lotSpec.levels)) {
        const retired = new Set(levelSpec.retired);
        const active = levelSpec.slots.filter((slot) => !retired.has(slot));
        this.active.set(key(lot, level), new Set(active));
        this.retired.set(key(lot, level), retired);
        totals[level] = active.length;
      }
      this.totals.set(lot, totals);
    }
  }

  /** The configured lots, in the file's order. */
  get lots(): string[] {
    return Object.keys(this.spec.lots);
  }

  /** The lot is configured (closed: only its listed slots count). */
  has(lot: string): boolean {
    return this.totals.has(lot);
  }

  verdict(lot: string, level: string, slot: string): SlotVerdict {
    if (!this.has(lot)) return 'counted';
    if (this.active.get(key(lot, level))?.has(slot)) return 'counted';
    return this.retired.get(key(lot, level))?.has(slot) ? 'retired' : 'unknown';
  }

  /** Active slots per level of a configured lot (its totals); undefined for a discovered lot. */
  totalsOf(lot: string): LevelTotals | undefined {
    return this.totals.get(lot);
  }

  /** Every configured lot's totals, by lot. */
  allTotals(): Record<string, LevelTotals> {
    return Object.fromEntries(this.totals);
  }

  /** Names and counts per lot, for pages and APIs. */
  summaries(): LotSummary[] {
    return Object.entries(this.spec.lots).map(([lot, spec]) => ({
      lot,
      ...(spec.name ? { name: spec.name } : {}),
      levels: Object.entries(spec.levels).map(([level, l]) => ({ level, ...(l.name ? { name: l.name } : {}), slots: l.slots.length - l.retired.length, retired: l.retired.length })),
    }));
  }
  /** What the pages and the APIs around Node-RED show of each configured lot: its display name and local time, where given. */
  lotInfo(): Record<string, LotInfo> {
    return Object.fromEntries(Object.entries(this.spec.lots).map(([lot, spec]) => [lot, { ...(spec.name ? { name: spec.name } : {}), ...(spec.utcOffset ? { utcOffset: spec.utcOffset } : {}) }]));
  }

  /** Each configured lot's tariff id, where the configuration names one. */
  tariffs(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.spec.lots).flatMap(([lot, spec]) => (spec.tariff ? [[lot, spec.tariff]] : [])));
  }
}

const key = (lot: string, level: string) => `${lot}\u0000${level}`;
