// Billing: the tariff engine (pure), sessions in MongoDB (each gate event applied once,
// safe through failover) and the reports over them.
import defaultTariffJson from './tariffs/default.json' with { type: 'json' };
import { validateTariff, type Tariff } from './tariff.ts';

export { validateTariff, parseTariff, clockMinutes, offsetMinutes, describeTariff, TariffError, type Tariff, type Period, type Overnight, type TariffProblem } from './tariff.ts';
export { computeFee, timeCharge, overnightWindows, startedMinutes, MINUTE_MS, DAY_MS, type FeeResult, type DayCharge } from './fee.ts';
export { money, defaultMinorDigits, MAX_AMOUNT } from './money.ts';
export {
  openedSession,
  unmatchedSession,
  supersededFields,
  closingFields,
  gateDisplay,
  feeSoFar,
  SESSION_STATUSES,
  type SessionDoc,
  type SessionStatus,
  type LotGateEvent,
  type Outcome,
} from './session.ts';
export { carKeyOf, maskPlate, isMasked, parsePlateKey, ERASED_PLATE, PLATE_KEY_BYTES, DEFAULT_RETENTION, type RetentionPolicy } from './plates.ts';
export { plateKeyFromFile, resolvePlateKey, PLATE_KEY_FILE } from './key-file.ts';
export { sweepRetention, plateRecords, erasePlate, type SweepResult } from './retention.ts';
export { Billing, prepareBilling, isDuplicateKey, unmatchableKey, type BillingCollections, type BillingOptions, type GateEventDoc, type ApplyResult } from './store.ts';
export { withRetry, isTransient, RetryAborted, DEFAULT_RETRY, type RetryOptions } from '../mongo/retry.ts';
export { ChargingDesk, type DeskOptions, type GateAnswer } from './desk.ts';
export { EventJournal } from './journal.ts';
export { KeyedQueue } from './keyed-queue.ts';
export { toCsv, type Cell } from './csv.ts';
export { correct, checkReason, checkFee, CorrectionError, CORRECTION_ACTIONS, type Correction, type CorrectionAction, type SessionChange, type SessionFacts } from './corrections.ts';
export { applyCorrection, findSessions, searchFilter, auditLog, MAX_FOUND, type SessionSearch, type AuditEntry } from './corrections-store.ts';
export {
  parseReportQuery,
  parseTime,
  ReportQueryError,
  REPORT_KINDS,
  REPORT_FORMATS,
  DEFAULT_UTC_OFFSET,
  offsetOfLot,
  type ReportKind,
  type ReportFormat,
  type ReportQuery,
} from './report-query.ts';
export {
  runReport,
  reportCsv,
  reportFileName,
  revenueByDay,
  occupancyByCar,
  openSessions,
  sessionsInRange,
  REPORT_COLUMNS,
  MAX_ROWS,
  type Report,
  type ReportRows,
  type RevenueRow,
  type OccupancyRow,
  type OpenRow,
  type SessionRow,
  type TariffLookup,
  type RunReportOptions,
} from './reports.ts';

/** The shipped default tariff (billing/tariffs/default.json; docs/billing.md). */
export const DEFAULT_TARIFF: Tariff = deepFreeze(validateTariff(defaultTariffJson, 'billing/tariffs/default.json'));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
