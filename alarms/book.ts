// The active alarms and what to publish when they change: `since` stays from
// the first raise (across restarts and failovers: the retained topics are read
// back), an acknowledgement stays until the alarm clears or grows worse. Pure.
import type { AlarmKind, AlarmSpec, Severity } from './rules.ts';
import { ALARM_KINDS } from './rules.ts';

/** The payload of `<root>/<lot>/alarm/<alarm>` (CONTRACT.md). */
export interface AlarmPayload {
  kind: AlarmKind;
  severity: Severity;
  /** ISO-8601: when it was raised. */
  since: string;
  text: string;
  acknowledged: boolean;
}

/** One alarm to publish (retained), or to clear (`payload` null: an empty retained message). */
export interface AlarmChange {
  event: 'raised' | 'changed' | 'cleared' | 'acknowledged';
  lot: string;
  alarm: string;
  payload: AlarmPayload | null;
}

export interface ActiveAlarm extends AlarmPayload {
  lot: string;
  alarm: string;
}

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** The payload of a retained alarm read back, or undefined when it is not one of ours. */
export function decodeAlarm(text: string): AlarmPayload | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const { kind, severity, since, text: said, acknowledged } = doc;
  if (!(ALARM_KINDS as readonly unknown[]).includes(kind) || !(SEVERITIES as readonly unknown[]).includes(severity)) return undefined;
  if (typeof since !== 'string' || Number.isNaN(Date.parse(since)) || typeof said !== 'string' || typeof acknowledged !== 'boolean') return undefined;
  return { kind: kind as AlarmKind, severity: severity as Severity, since, text: said, acknowledged };
}

export class AlarmBook {
  private readonly active = new Map<string, ActiveAlarm>();

  private static key(lot: string, alarm: string): string {
    return `${lot}/${alarm}`;
  }

  /**
   * An alarm read back from its retained topic (at start, or our own publish coming back): kept,
   * its since and acknowledgement, until the next update decides. When the book raised the same
   * alarm meanwhile (the retained copy arrived after a first judgement), the older since wins, and
   * the acknowledgement with it unless the alarm grew worse: the change to publish.
   */
  restore(lot: string, alarm: string, payload: AlarmPayload): AlarmChange | undefined {
    const key = AlarmBook.key(lot, alarm);
    const active = this.active.get(key);
    if (!active) {
      this.active.set(key, { ...payload, lot, alarm });
      return undefined;
    }
    if (payload.since >= active.since) return undefined;
    active.since = payload.since;
    if (payload.acknowledged && rank(active.severity) <= rank(payload.severity)) active.acknowledged = true;
    return { event: 'changed', lot, alarm, payload: payloadOf(active) };
  }

  /** The lot's alarms are now `specs` (one per kind): what changed, to publish. */
  update(lot: string, specs: readonly AlarmSpec[], now: number): AlarmChange[] {
    const changes: AlarmChange[] = [];
    const wanted = new Map(specs.map((spec) => [spec.kind as string, spec]));
    for (const [key, alarm] of this.active) {
      if (alarm.lot === lot && !wanted.has(alarm.alarm)) {
        this.active.delete(key);
        changes.push({ event: 'cleared', lot, alarm: alarm.alarm, payload: null });
      }
    }
    for (const [alarm, spec] of wanted) {
      const key = AlarmBook.key(lot, alarm);
      const before = this.active.get(key);
      const acknowledged = before ? before.acknowledged && rank(spec.severity) <= rank(before.severity) : false;
      const next: ActiveAlarm = { lot, alarm, kind: spec.kind, severity: spec.severity, since: before?.since ?? new Date(now).toISOString(), text: spec.text, acknowledged };
      if (before && before.kind === next.kind && before.severity === next.severity && before.text === next.text && before.acknowledged === next.acknowledged) continue;
      this.active.set(key, next);
      changes.push({ event: before ? 'changed' : 'raised', lot, alarm, payload: payloadOf(next) });
    }
    return changes;
  }

  /** An operator saw it: the change to publish, or undefined when no such alarm is active (or it was already acknowledged). */
  acknowledge(lot: string, alarm: string): AlarmChange | undefined {
    const active = this.active.get(AlarmBook.key(lot, alarm));
    if (!active || active.acknowledged) return undefined;
    active.acknowledged = true;
    return { event: 'acknowledged', lot, alarm, payload: payloadOf(active) };
  }

  has(lot: string, alarm: string): boolean {
    return this.active.has(AlarmBook.key(lot, alarm));
  }

  /** Every active alarm, the worst first, then the oldest. */
  list(): ActiveAlarm[] {
    return [...this.active.values()].map((a) => ({ ...a })).sort((a, b) => rank(b.severity) - rank(a.severity) || a.since.localeCompare(b.since) || a.lot.localeCompare(b.lot));
  }

  /** The lots with an alarm. */
  lots(): string[] {
    return [...new Set([...this.active.values()].map((a) => a.lot))];
  }
}

function payloadOf(a: ActiveAlarm): AlarmPayload {
  return { kind: a.kind, severity: a.severity, since: a.since, text: a.text, acknowledged: a.acknowledged };
}
