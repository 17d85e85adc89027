// Which alarms a lot has now, from what the platform observes: the lot's
// availability status, its devices' Last Will statuses, and the health of the
// brokers, the bridge and MongoDB. Pure: the times come in as arguments.
//
// An alarm is raised once its condition has held for its delay (a broker
// restarted on purpose, an election, a device reconnecting after a failover
// raise nothing) and cleared as soon as the condition is gone.
import type { LotStatus } from '../contract/index.ts';
import type { HealthReport } from '../web/health.ts';

export type Severity = 'info' | 'warning' | 'critical';

/** The alarm ids: the last level of `<root>/<lot>/alarm/<alarm>`. */
export const ALARM_KINDS = ['lot-full', 'lot-almost-full', 'sensors-offline', 'sensors-stale', 'unknown-sensors', 'overstay', 'broker-down', 'bridge-down', 'database-down'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export interface AlarmSpec {
  kind: AlarmKind;
  severity: Severity;
  text: string;
}

export interface AlarmDelays {
  /** A device offline (its Last Will) this long counts (default 120 s: longer than any failover). */
  deviceOfflineMs: number;
  /** A broker unreachable, a bridge down or MongoDB without a primary this long raises (default 30 s: longer than an election). */
  platformMs: number;
  /** A car parked longer than this is an overstay (default 24 h; 0: no overstay alarm). */
  overstayHours: number;
  /** A slot whose state has not changed for this long while its sensor is online may have a stuck sensor (default 48 h; 0: no such alarm). */
  staleSensorHours: number;
}

export const DEFAULT_DELAYS: AlarmDelays = Object.freeze({ deviceOfflineMs: 120_000, platformMs: 30_000, overstayHours: 24, staleSensorHours: 48 });

/** A lot's slots that have said the same thing for longer than the stale limit: how many, and some of them (`level/slot`). */
export interface StaleSlots {
  count: number;
  some: readonly string[];
}

/** What is known of one lot. */
export interface LotFacts {
  status?: LotStatus;
  free?: number;
  total?: number;
  /** Device id → since when it has been offline (epoch ms). */
  offline: ReadonlyMap<string, number>;
  /** Cars whose session has been open longer than the overstay limit (the count only: no plate). */
  overstays?: number;
  /** Slots (`level/slot`) publishing in a configured lot that the lot configuration does not list (ingest refuses them). */
  unknownSensors?: ReadonlySet<string>;
  /** Slots free or occupied, unchanged for longer than the stale limit (from MongoDB, counted every minute). */
  stale?: StaleSlots;
}

/** Platform-wide conditions (from /healthz facts), each with since when it holds (epoch ms). */
export interface PlatformFacts {
  brokersDown: ReadonlyMap<string, number>;
  bridgeDownSince?: number;
  databaseDownSince?: number;
}

/** The platform conditions of a health report, keeping the first time each was seen (`before`). */
export function platformFacts(report: Pick<HealthReport, 'brokers' | 'mongo'>, before: PlatformFacts, now: number): PlatformFacts {
  const brokersDown = new Map<string, number>();
  for (const b of report.brokers) if (!b.reachable) brokersDown.set(b.role, before.brokersDown.get(b.role) ?? now);
  const primaryUp = report.brokers.some((b) => b.role === 'primary' && b.reachable);
  const bridgeDown = report.brokers.some((b) => b.role === 'standby' && b.reachable && b.bridge && !b.bridge.connected) && primaryUp;
  const databaseDown = report.mongo !== null && report.mongo.primary === null;
  return {
    brokersDown,
    bridgeDownSince: bridgeDown ? (before.bridgeDownSince ?? now) : undefined,
    databaseDownSince: databaseDown ? (before.databaseDownSince ?? now) : undefined,
  };
}

const list = (items: readonly string[], max = 5) => `${items.slice(0, max).join(', ')}${items.length > max ? `, … (${items.length} in all)` : ''}`;

/** The alarms of one lot now. */
export function lotAlarms(lot: string, facts: LotFacts, platform: PlatformFacts, now: number, delays: AlarmDelays = DEFAULT_DELAYS): AlarmSpec[] {
  const out: AlarmSpec[] = [];
  const figures = facts.free !== undefined && facts.total !== undefined ? ` (${facts.free} of ${facts.total} free)` : '';
  if (facts.status === 'full') out.push({ kind: 'lot-full', severity: 'warning', text: `${lot} is full${figures}` });
  else if (facts.status === 'almostFull') out.push({ kind: 'lot-almost-full', severity: 'info', text: `${lot} is almost full${figures}` });
  const offline = [...facts.offline].filter(([, since]) => now - since >= delays.deviceOfflineMs).map(([device]) => device).sort();
  if (offline.length) {
    const minutes = Math.round(delays.deviceOfflineMs / 60_000);
    out.push({ kind: 'sensors-offline', severity: 'warning', text: `${offline.length} device${offline.length > 1 ? 's' : ''} offline for over ${minutes >= 1 ? `${minutes} min` : `${delays.deviceOfflineMs / 1000} s`}: ${list(offline)}` });
  }
  if (delays.staleSensorHours > 0 && facts.stale?.count) {
    const { count, some } = facts.stale;
    const names = [...some].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    out.push({ kind: 'sensors-stale', severity: 'info', text: `${count} slot${count > 1 ? 's' : ''} of ${lot} unchanged for over ${delays.staleSensorHours} h (a stuck sensor?): ${names.slice(0, 5).join(', ')}${count > 5 ? `, … (${count} in all)` : ''}` });
  }
  if (facts.unknownSensors?.size) {
    const n = facts.unknownSensors.size;
    out.push({ kind: 'unknown-sensors', severity: 'warning', text: `${n} sensor${n > 1 ? 's' : ''} of ${lot} not in the lot configuration, refused: ${list([...facts.unknownSensors].sort())}` });
  }
  if (delays.overstayHours > 0 && facts.overstays) {
    const n = facts.overstays;
    out.push({ kind: 'overstay', severity: 'info', text: `${n} car${n > 1 ? 's' : ''} parked at ${lot} for over ${delays.overstayHours} h` });
  }
  const down = [...platform.brokersDown].filter(([, since]) => now - since >= delays.platformMs).map(([role]) => role).sort();
  if (down.length) out.push({ kind: 'broker-down', severity: down.length > 1 ? 'critical' : 'warning', text: `${down.length > 1 ? 'both brokers are' : `the ${down[0]} broker is`} unreachable${down.length > 1 ? '' : ': clients use the other one'}` });
  if (platform.bridgeDownSince !== undefined && now - platform.bridgeDownSince >= delays.platformMs) out.push({ kind: 'bridge-down', severity: 'warning', text: "the standby's bridge to the primary is down: clients on different brokers do not see each other's messages" });
  if (platform.databaseDownSince !== undefined && now - platform.databaseDownSince >= delays.platformMs) out.push({ kind: 'database-down', severity: 'critical', text: 'MongoDB has no primary: slot history and charging wait (availability stays live)' });
  return out;
}
