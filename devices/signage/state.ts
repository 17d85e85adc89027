// What a signage display knows about one lot, from the retained availability
// topics: the summary (`<root>/<lot>/availability`, JSON) and the free spots
// per level (`<root>/<lot>/availability/<level>`, a plain integer). Pure.
import type { LotStatus, Topics } from '../../contract/index.ts';
import { forecastText } from '../../web/assets/view.js';

export interface LevelView {
  level: string;
  free: number | undefined;
  total: number | undefined;
  /** Slots with no known state (silent or offline sensors). */
  unknown: number | undefined;
  /** What the level's forecast says (`full in about 20 min`), or ''. */
  forecast: string;
}

export interface SignageView {
  lot: string;
  levels: LevelView[];
  free: number | undefined;
  total: number | undefined;
  /** Slots with no known state (silent or offline sensors). */
  unknown: number | undefined;
  status: LotStatus | undefined;
  observedAt: string | undefined;
  /** When the figures last changed here or were observed by ingest (epoch ms), the later of the two; undefined before any. */
  updatedAt: number | undefined;
  /** What the lot's forecast says, or ''. */
  forecast: string;
}

const STATUSES: readonly string[] = ['spacesAvailable', 'almostFull', 'full', 'closed'];

interface Counts {
  free?: number;
  total?: number;
  unknown?: number;
}

const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined);

export class SignageState {
  private summary: { free?: number; total?: number; unknown?: number; status?: LotStatus; observedAt?: string; levels: Map<string, Counts> } = { levels: new Map() };
  private readonly levelFree = new Map<string, number>();
  /** forecastText of each forecast topic, by level ('' for the lot's). */
  private readonly forecasts = new Map<string, string>();
  private changedAt: number | undefined;

  constructor(
    readonly lot: string,
    private readonly topics: Topics,
  ) {}

  /** Takes one message (arrived at `now`); true when the view changed, false when it is not ours or not understood. */
  apply(topic: string, payload: Buffer | string, now = Date.now()): boolean {
    const t = this.topics.parse(topic);
    if (!t || t.lot !== this.lot) return false;
    const text = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
    if (t.kind === 'forecast') return this.applyForecast(t.level ?? '', text);
    const before = JSON.stringify(this.figures());
    if (t.kind === 'levelAvailability') {
      if (text === '') this.levelFree.delete(t.level);
      else {
        if (!/^\d{1,9}$/.test(text)) return false;
        this.levelFree.set(t.level, Number(text));
      }
    } else if (t.kind === 'availability') {
      if (!this.applySummary(text)) return false;
    } else {
      return false;
    }
    const changed = JSON.stringify(this.figures()) !== before;
    if (changed) this.changedAt = now;
    return changed;
  }

  view(): SignageView {
    const observed = this.summary.observedAt === undefined ? NaN : Date.parse(this.summary.observedAt);
    const times = [this.changedAt, Number.isFinite(observed) ? observed : undefined].filter((t): t is number => t !== undefined);
    return { ...this.figures(), updatedAt: times.length ? Math.max(...times) : undefined, forecast: this.forecasts.get('') ?? '' };
  }

  /** A forecast (or its clearing): changes only a line of text, never the figures' age. */
  private applyForecast(key: string, text: string): boolean {
    let said = '';
    if (text !== '') {
      try {
        said = forecastText(JSON.parse(text));
      } catch {
        return false;
      }
    }
    const before = this.forecasts.get(key) ?? '';
    if (said) this.forecasts.set(key, said);
    else this.forecasts.delete(key);
    return said !== before;
  }

  private figures(): Omit<SignageView, 'updatedAt' | 'forecast'> {
    const names = [...new Set([...this.summary.levels.keys(), ...this.levelFree.keys()])].sort();
    const levels = names.map((level) => ({
      level,
      free: this.levelFree.get(level) ?? this.summary.levels.get(level)?.free,
      total: this.summary.levels.get(level)?.total,
      unknown: this.summary.levels.get(level)?.unknown,
      forecast: this.forecasts.get(level) ?? '',
    }));
    const sumFree = levels.every((l) => l.free !== undefined) && levels.length ? levels.reduce((s, l) => s + (l.free ?? 0), 0) : undefined;
    return {
      lot: this.lot,
      levels,
      free: this.summary.free ?? sumFree,
      total: this.summary.total,
      unknown: this.summary.unknown,
      status: this.summary.status,
      observedAt: this.summary.observedAt,
    };
  }

  private applySummary(text: string): boolean {
    if (text === '') {
      this.summary = { levels: new Map() };
      return true;
    }
    let doc: Record<string, unknown>;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
      doc = parsed as Record<string, unknown>;
    } catch {
      return false;
    }
    const levels = new Map<string, Counts>();
    if (doc.levels && typeof doc.levels === 'object') {
      for (const [level, value] of Object.entries(doc.levels as Record<string, Record<string, unknown>>)) {
        levels.set(level, { free: count(value?.availableSpotNumber), total: count(value?.totalSpotNumber), unknown: count(value?.unknownSpotNumber) });
      }
    }
    this.summary = {
      free: count(doc.availableSpotNumber),
      total: count(doc.totalSpotNumber),
      unknown: count(doc.unknownSpotNumber),
      status: typeof doc.status === 'string' && STATUSES.includes(doc.status) ? (doc.status as LotStatus) : undefined,
      observedAt: typeof doc.observedAt === 'string' ? doc.observedAt : undefined,
      levels,
    };
    return true;
  }
}
