// Types of view.js (the signage page's pure display logic).
import type { LotStatus } from '../../contract/index.ts';
import type { FailoverStatus } from './failover.js';

export type DisplayStatus = LotStatus | 'unknown';

export interface LevelFigures {
  free: number | undefined;
  total: number | undefined;
  /** Slots with no known state (`unknownSpotNumber`: silent or offline sensors). */
  unknown?: number | undefined;
}

export interface SignageSummary extends LevelFigures {
  status: LotStatus | undefined;
  /** Epoch ms of the summary's `observedAt`. */
  observedAt: number | undefined;
  levels: Record<string, LevelFigures>;
}

export interface SignageState {
  readonly lot: string;
  readonly root: string;
  readonly summary: SignageSummary | undefined;
  /** Free spots per level from `<root>/<lot>/availability/<level>`. */
  readonly levelFree: Readonly<Record<string, number>>;
  /** Epoch ms of the last live (not retained) message that changed the figures. */
  readonly changedAt: number | undefined;
  /** What each forecast says (forecastText), by level; '' for the lot's. */
  readonly forecasts?: Readonly<Record<string, string>>;
}

export interface Figures {
  levels: Array<{ name: string; free: number | undefined; total: number | undefined; unknown: number | undefined }>;
  free: number | undefined;
  total: number | undefined;
  unknown: number | undefined;
  status: LotStatus | undefined;
}

export interface ConnectionView {
  tone: 'live' | 'standby' | 'offline';
  text: string;
}

export interface DisplayModel {
  lot: string;
  /** The lot's free spots, `–` when not known. */
  free: string;
  /** `of 52`, or empty. */
  total: string;
  status: DisplayStatus;
  statusText: string;
  /** The lot's forecast (`full in about 20 min`), or empty. */
  forecast: string;
  levels: Array<{ name: string; free: string; total: string; status: DisplayStatus; forecast: string }>;
  /** `updated 4s ago`, with ` · 1 of 52 sensors reporting` when some are silent; `waiting for data`; or empty. */
  updated: string;
  connection: ConnectionView;
}

export declare const ALMOST_FULL_RATIO: number;
export declare const STATUS_TEXT: Readonly<Record<DisplayStatus, string>>;
export declare function reportingText(unknown: number | undefined, total: number | undefined): string;
export declare function shownStatus<S extends DisplayStatus>(status: S, free: number | undefined, unknown: number | undefined): S | 'unknown';
export declare function createState(lot: string, root: string): SignageState;
export declare function subscriptionsFor(lot: string, root: string): string[];
export declare function applyMessage(
  state: SignageState,
  topic: string,
  payload: string | { toString(): string },
  meta?: { retained?: boolean; receivedAt?: number },
): { state: SignageState; changed: boolean };
export declare function figures(state: SignageState): Figures;
export declare function statusOf(free: number | undefined, total: number | undefined): DisplayStatus;
export declare function formatAge(ms: number): string;
export declare function connectionView(connection: Pick<FailoverStatus, 'phase' | 'role'> | undefined): ConnectionView;
export declare function waitingText(lot: string, knownLots: readonly string[] | undefined): string;
export declare function displayModel(state: SignageState, context: { now: number; connection: Pick<FailoverStatus, 'phase' | 'role'> | undefined; knownLots?: readonly string[] }): DisplayModel;
export declare function resolveBrokerUrls(urls: readonly string[], pageHostname: string | undefined): string[];
export declare function forecastText(forecast: unknown): string;
