// Open data for cities: the lots and slots as NGSI-LD entities (FIWARE Smart Data
// Models OffStreetParking and ParkingSpot) and as DATEX II 3 Parking Publication
// Light. See docs/opendata.md.
export { offStreetParking, parkingSpot, normalized, parseEntityQuery, parseEntityId, lotEntityId, spotEntityId, NgsiError, CONTEXT, CONTEXT_LINK, ENTITY_TYPES, type Entity, type EntityQuery, type LotFacts, type SpotFacts } from './ngsi.ts';
export { parkingSite, publication, trendOf, type OccupancyTrend, type Publisher } from './datex.ts';
export { openDataRouter, NGSI_LD_PATH, DATEX2_PATH, type OpenDataSources, type OpenDataOptions } from './http.ts';
export { watchSummaries, type Summaries } from './summaries.ts';
export { mongoSpots } from './spots.ts';
export { ngsiPusher, type Pusher, type PushOptions, type PushStats } from './push.ts';
export { forwardChanges, type ForwardOptions } from './forward.ts';
