// The site's services around Node-RED, on its HTTP server: alarms, the occupancy history and
// the forecasts, the open-data feeds (and their push), and the web pages (signage, /, /healthz,
// /metrics). `parking start` runs them beside its own brokers and ingest; `parking flows` runs
// them at a site where the brokers and ingest are services of their own (docs/deploy.md), so
// that a split deployment has everything `npm start` shows.
import type { Collection, Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Topics, AvailabilitySummary } from '../contract/index.ts';
import type { FailoverLink } from '../link/index.ts';
import { alarmsRouter, ALARMS_PATH, startAlarms, type AlarmService, type StaleSlots } from '../alarms/index.ts';
import { occupancyRouter, OCCUPANCY_PATH, startForecaster, startHistorian } from '../history/index.ts';
import { forwardChanges, mongoSpots, ngsiPusher, openDataRouter, trendOf, watchSummaries, DATEX2_PATH, NGSI_LD_PATH } from '../opendata/index.ts';
import { deployedTariff } from '../flows/nodes/tariff.ts';
import type { RunningFlows } from '../flows/index.ts';
import type { GeoPoint, LotLayout } from '../layout/index.ts';
import { describeTariff, DEFAULT_TARIFF, DEFAULT_UTC_OFFSET } from '../billing/index.ts';
import { bounded } from '../mongo/bound.ts';
import { createWebRouter, type HealthReport } from '../web/index.ts';

/** What `/` lists before the signage, /healthz and /metrics. */
export const INDEX = [
  { href: '/dashboard/availability', label: 'Availability', note: 'the slot map and free spaces of each lot, live (everyone)' },
  { href: '/dashboard/charging', label: 'Charging', note: 'open sessions, exits, revenue (operators: log in)' },
  { href: '/dashboard/system', label: 'System', note: 'brokers, database, ingest, devices (operators: log in)' },
  { href: '/ngsi-ld/v1/entities?type=OffStreetParking', label: 'NGSI-LD', note: 'the lots and slots as FIWARE OffStreetParking and ParkingSpot entities (everyone; open data)' },
  { href: '/api/datex2/parking-sites', label: 'DATEX II', note: 'the lots as a DATEX II 3 Parking Publication Light (everyone; open data)' },
  { href: '/api/occupancy', label: 'Occupancy history', note: 'free and occupied slots over time per lot and level, JSON or CSV (everyone; ?lot=&level=&from=&to=&step=)' },
  { href: '/api/reports', label: 'Reports', note: 'revenue, occupancy and sessions as JSON or CSV (operators: log in)' },
  { href: '/api/sessions/audit', label: 'Audit log', note: 'sessions closed or voided by hand; find a car on the Charging page (operators: log in)' },
  { href: '/red', label: 'Node-RED editor', note: 'the flows (the admin)' },
  { href: '/login', label: 'Log in', note: 'operators and the admin' },
];

/**
 * Where signage pages reach the brokers when not told (`parking flows` without --ws-urls): the
 * hosts of the MQTT URLs on the WebSocket ports of `parking broker` (9001 primary, 9002 standby),
 * with no account in them: the URLs carry the flows' own account, which no browser may get.
 */
export function defaultWsUrls(mqttUrls: readonly string[]): string[] {
  return mqttUrls.slice(0, 2).map((raw, i) => {
    const u = new URL(raw);
    if (u.protocol === 'ws:' || u.protocol === 'wss:') return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
    return `${u.protocol === 'mqtts:' ? 'wss' : 'ws'}://${u.hostname}:${i === 0 ? 9001 : 9002}`;
  });
}

/** Cars in, per lot, since before `olderThan`: counts only (no plate leaves MongoDB), bounded. */
export function overstaysIn(sessions: Collection): (olderThan: number) => Promise<Map<string, number>> {
  return (olderThan) =>
    bounded('count of overstays', 10_000, (signal) =>
      sessions
        .aggregate<{ _id: string; n: number }>([{ $match: { status: 'open', entryAt: { $lt: new Date(olderThan) } } }, { $group: { _id: '$lot', n: { $sum: 1 } } }], { maxTimeMS: 5000, signal } as never)
        .toArray(),
    ).then((rows) => new Map(rows.map((r) => [r._id, r.n])));
}

/**
 * Per lot, the slots free or occupied (their sensor online: an offline one's slots turn unknown)
 * whose state has not changed since before `olderThan`: how many, and the five unchanged longest.
 * Bounded.
 */
export function staleSlotsIn(slots: Collection): (olderThan: number) => Promise<Map<string, StaleSlots>> {
  return (olderThan) =>
    bounded('stale slots', 10_000, (signal) =>
      slots
        .aggregate<{ _id: string; count: number; some: string[] }>(
          [
            { $match: { status: { $in: ['free', 'occupied'] }, since: { $lt: new Date(olderThan) } } },
            { $sort: { since: 1 } },
            { $group: { _id: '$lot', count: { $sum: 1 }, some: { $push: { $concat: ['$level', '/', '$slot'] } } } },
            { $project: { count: 1, some: { $slice: ['$some', 5] } } },
          ],
          { maxTimeMS: 5000, signal } as never,
        )
        .toArray(),
    ).then((rows) => new Map(rows.map((r) => [r._id, { count: r.count, some: r.some }])));
}

export interface SiteServicesOptions {
  /** Node-RED's HTTP server: the routers go on its app, the alarms API behind its login. */
  flows: RunningFlows;
  db: Db;
  /** A link to the brokers for one service (`alarms`, `opendata`, `forecast`); the caller closes them. */
  link(name: string): FailoverLink;
  topics: Topics;
  health: () => Promise<HealthReport>;
  metrics: () => Promise<string>;
  /** The brokers' MQTT over WebSocket URLs for the signage pages (with the pages' read-only account in them). */
  mqttWsUrls: readonly string[];
  failoverMs: number;
  layout?: LotLayout;
  /** Days the occupancy history is kept (default 400). */
  historyDays?: number;
  openData?: { siteLocation?: GeoPoint; country?: string; publisher?: string; /** An NGSI-LD context broker to forward every change to. */ push?: string };
  /** The site's local time (`+07:00`). */
  utcOffset?: string;
  /** A car parked longer than this raises its lot's overstay alarm (default 24; 0: none). */
  overstayHours?: number;
  /** A slot unchanged this long while its sensor is online raises its lot's sensors-stale alarm (default 48; 0: none). */
  staleSensorHours?: number;
  /** Every alarm change is POSTed there too. */
  alarmWebhook?: string;
  logger: Logger;
}

export interface SiteServices {
  alarms: AlarmService;
  /** The URLs they serve, under the flows' URL. */
  urls: Record<'signage' | 'alarms' | 'occupancy' | 'ngsi-ld' | 'datex2' | 'healthz' | 'metrics', string>;
  close(): Promise<void>;
}

export async function startSiteServices(o: SiteServicesOptions): Promise<SiteServices> {
  const { flows, db, topics, logger } = o;
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err) => logger.warn({ err: (err as Error).message }, 'site services: stopping one failed'));
  };
  try {
    const sessions = db.collection('sessions');
    const alarms = await startAlarms({
      link: o.link('alarms'),
      topics,
      health: o.health,
      layout: o.layout,
      overstays: overstaysIn(sessions),
      staleSlots: staleSlotsIn(db.collection('slots')),
      delays: { ...(o.overstayHours === undefined ? {} : { overstayHours: o.overstayHours }), ...(o.staleSensorHours === undefined ? {} : { staleSensorHours: o.staleSensorHours }) },
      webhook: o.alarmWebhook ? { url: o.alarmWebhook } : undefined,
      logger: logger.child({ part: 'alarms' }),
    });
    closers.push(() => alarms.close());
    const historian = startHistorian({ db, retentionDays: o.historyDays, logger: logger.child({ part: 'history' }) });
    closers.push(() => historian.close());
    const configured = o.layout?.spec.lots ?? {};
    const describeLot = (lot: string) => ({ name: configured[lot]?.name, location: configured[lot]?.location ?? o.openData?.siteLocation });
    const openDataLink = o.link('opendata');
    let pushed: ((summary: AvailabilitySummary) => void) | undefined;
    if (o.openData?.push) {
      const pusher = ngsiPusher({ url: o.openData.push, logger: logger.child({ part: 'ngsi-ld-push' }) });
      closers.push(() => pusher.close());
      pushed = await forwardChanges({ link: openDataLink, topics, pusher, describe: describeLot });
    }
    // One watcher of the lots' summaries: the open-data feeds, the push and the forecasts read it.
    // (The forecaster reads `summaries` at its ticks, after it is set.)
    const forecasts = startForecaster({ link: o.link('forecast'), topics, summaries: () => summaries.list(), collections: historian.collections, logger: logger.child({ part: 'forecast' }) });
    closers.push(async () => forecasts.close());
    const summaries = await watchSummaries(openDataLink, topics, (summary) => {
      pushed?.(summary);
      forecasts.seen(summary);
    });
    void forecasts.tick().catch(() => undefined);
    flows.app.use(
      openDataRouter({
        sources: {
          lots: () => summaries.list().map((summary) => ({ summary, ...describeLot(summary.lot) })),
          spots: mongoSpots(db.collection('slots')),
          trend: (lot) => {
            const f = forecasts.latest().get(topics.forecast(lot));
            return f && f.method === 'weekday-profile' ? trendOf(f.availableSpotNumber, f.forecasts.find((p) => p.minutes === 30)?.availableSpotNumber, f.totalSpotNumber) : undefined;
          },
          tariff: () => describeTariff(deployedTariff(DEFAULT_TARIFF.id) ?? DEFAULT_TARIFF),
        },
        publisher: { country: o.openData?.country ?? 'ID', nationalIdentifier: o.openData?.publisher ?? 'smart-parking', name: 'Parking sites', lang: 'en' },
        logger: logger.child({ part: 'opendata' }),
      }),
    );
    flows.app.use(OCCUPANCY_PATH, occupancyRouter({ collections: historian.collections, utcOffset: o.utcOffset ?? DEFAULT_UTC_OFFSET, lots: o.layout?.lotInfo(), logger: logger.child({ part: 'history' }) }));
    // The flows' login guard (typed with the flows' view of express; the same express underneath).
    flows.app.use(ALARMS_PATH, alarmsRouter({ alarms, guard: flows.access.requireLogin as unknown as Parameters<typeof alarmsRouter>[0]['guard'] }));
    flows.app.use(
      createWebRouter({
        mqttWsUrls: o.mqttWsUrls,
        topicRoot: topics.root,
        failoverMs: o.failoverMs,
        health: o.health,
        metrics: o.metrics,
        lots: () => db.collection('slots').distinct('lot', {}, { readPreference: 'primaryPreferred' }) as Promise<string[]>,
        lotName: (lot) => configured[lot]?.name,
        index: INDEX,
      }),
    );
    const base = flows.url;
    return {
      alarms,
      urls: {
        signage: `${base}/signage`,
        alarms: `${base}${ALARMS_PATH}`,
        occupancy: `${base}${OCCUPANCY_PATH}`,
        'ngsi-ld': `${base}${NGSI_LD_PATH}?type=OffStreetParking`,
        datex2: `${base}${DATEX2_PATH}`,
        healthz: `${base}/healthz`,
        metrics: `${base}/metrics`,
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
