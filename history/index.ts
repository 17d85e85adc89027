// Occupancy over time: 5-minute buckets per lot and level rolled up from the slot
// history in MongoDB (`occupancy`), `/api/occupancy`, and the forecasts published
// from them. See docs/history.md.
export { STEP_MS, rollStep, reconcile, stepStart, bucketId, type Bucket, type SlotState, type LotStates, type SlotChange } from './rollup.ts';
export { prepareHistory, bucketsBetween, knownLots, HISTORY_TIMEOUT_MS, type HistoryCollections } from './store.ts';
export { startHistorian, type Historian, type HistorianOptions } from './historian.ts';
export { parseOccupancyQuery, parseStep, resample, windowStart, OccupancyQueryError, OCCUPANCY_COLUMNS, MAX_ROWS, type OccupancyQuery, type OccupancyRow } from './query.ts';
export { occupancyRouter, OCCUPANCY_PATH, type OccupancyApiOptions } from './http.ts';
export { SlotStats, SLOT_STATS_COLUMNS, type SlotStatsRow } from './slot-stats.ts';
export { parseSlotStatsQuery, MAX_SLOT_RANGE_MS, type SlotStatsQuery } from './query.ts';
export { forecastOf, profileWindows, sumLevels, HORIZONS_MINUTES, PROFILE_WEEKS, type Forecast, type ForecastPoint, type ForecastMethod } from './forecast.ts';
export { startForecaster, type Forecaster, type ForecasterOptions } from './forecaster.ts';
export { simulateHistory, demand, type HistorySpec, type SimulatedChange, type SimulatedLot } from './simulate.ts';
export { runBacktest, type BacktestOptions, type BacktestResult, type BacktestRow } from './backtest.ts';
