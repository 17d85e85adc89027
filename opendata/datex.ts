// DATEX II 3 Parking Publication Light: the lots as parking sites, as the official
// schema (DATEXII_3_ParkingPublicationLight.json) has them: enumerations wrapped in
// `{"value": …}`, `tariffDescription` a list of texts, the publication's `lang`,
// `publicationTime` and `publicationCreator`. Pure. docs/opendata.md.
import type { LotFacts } from './ngsi.ts';

export type OccupancyTrend = 'increasing' | 'increasingQuickly' | 'increasingSlowly' | 'decreasing' | 'decreasingQuickly' | 'decreasingSlowly' | 'stable' | 'unknown';

export interface Publisher {
  /** ISO 3166-1 alpha-2, e.g. `ID`. */
  country: string;
  nationalIdentifier: string;
  /** The publication's name. */
  name: string;
  lang: string;
}

export interface ParkingSiteExtras {
  /** How occupancy is expected to move (from the forecast); unknown without one. */
  trend?: OccupancyTrend;
  tariffDescription?: readonly string[];
}

/**
 * One parking site. Every slot silent (all `unknown`): `availableSpaces` is left out
 * (not known) and `lastUpdate` is the last time the lot was heard from.
 */
export function parkingSite(lot: LotFacts, extras: ParkingSiteExtras = {}): Record<string, unknown> {
  const s = lot.summary;
  const silent = s.totalSpotNumber > 0 && s.unknownSpotNumber === s.totalSpotNumber;
  const closed = s.status === 'closed';
  return {
    _id: s.lot,
    lastUpdate: s.observedAt,
    type: { value: 'carPark' },
    name: lot.name ?? s.lot,
    isOpenNow: !closed,
    temporaryClosed: closed,
    ...(extras.tariffDescription?.length ? { tariffDescription: [...extras.tariffDescription] } : {}),
    numberOfSpaces: s.totalSpotNumber,
    ...(silent ? {} : { availableSpaces: s.availableSpotNumber }),
    occupancyTrend: { value: silent ? 'unknown' : (extras.trend ?? 'unknown') },
    // The standard requires a place: a lot without one in the lot configuration has none to give.
    ...(lot.location ? { locationAndDimension: { coordinatesForDisplay: { latitude: lot.location.latitude, longitude: lot.location.longitude } } } : {}),
  };
}

/** The publication around `sites`. */
export function publication(sites: Array<Record<string, unknown>>, publisher: Publisher, now: Date): Record<string, unknown> {
  return {
    _modelBaseVersion: '3',
    _version: '3.4',
    parkingPublicationLight: {
      lang: publisher.lang,
      publicationTime: now.toISOString(),
      publicationCreator: { country: publisher.country, nationalIdentifier: publisher.nationalIdentifier },
      name: publisher.name,
      parkingSite: sites,
    },
  };
}

/**
 * The trend from a forecast: occupancy rises when fewer spaces are expected free in 30
 * minutes. By a tenth of the lot or more: quickly; by 2 spaces or more: slowly; else stable.
 */
export function trendOf(available: number, expectedIn30: number | undefined, total: number): OccupancyTrend {
  if (expectedIn30 === undefined || total <= 0) return 'unknown';
  const change = available - expectedIn30;
  if (Math.abs(change) < 2) return 'stable';
  const quick = Math.abs(change) >= total / 10;
  if (change > 0) return quick ? 'increasingQuickly' : 'increasingSlowly';
  return quick ? 'decreasingQuickly' : 'decreasingSlowly';
}
