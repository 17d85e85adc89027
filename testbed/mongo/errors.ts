// Server errors with MongoDB's real codes, names and labels, so that the
// driver's own retry, resume and server-selection logic runs for real.
import type { Document } from 'bson';

export const Codes = {
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  InvalidLength: 16,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  ShutdownInProgress: 91,
  NotWritablePrimary: 10107,
  InterruptedDueToReplStateChange: 11602,
  DuplicateKey: 11000,
  NotPrimaryNoSecondaryOk: 13435,
  NotPrimaryOrSecondary: 13436,
  InterruptedAtShutdown: 11600,
  Location40352: 40352,
  ChangeStreamHistoryLost: 286,
  SwitchNoMatch: 40066,
} as const;

const names: Record<number, string> = Object.fromEntries(Object.entries(Codes).map(([k, v]) => [v, k]));

/** Errors after which a retryable write may be retried (the server labels them). */
const retryableWrite = new Set<number>([
  Codes.NotWritablePrimary, Codes.InterruptedDueToReplStateChange, Codes.NotPrimaryNoSecondaryOk,
  Codes.NotPrimaryOrSecondary, Codes.InterruptedAtShutdown, Codes.ShutdownInProgress,
]);

/** Errors after which a change stream resumes. */
const resumable = new Set<number>([...retryableWrite, Codes.CursorNotFound]);

export class ServerError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly extra: Document = {},
    readonly labels: string[] = [],
  ) {
    super(message);
  }

  get codeName(): string {
    return names[this.code] ?? 'UnknownError';
  }

  /** The `{ok: 0, ...}` reply for this error to the given command. */
  toReply(command: Document): Document {
    const labels = [...this.labels];
    if (retryableWrite.has(this.code) && command.txnNumber !== undefined) labels.push('RetryableWriteError');
    if (resumable.has(this.code) && (command.getMore !== undefined || isChangeStream(command))) {
      labels.push('ResumableChangeStreamError');
    }
    return {
      ok: 0,
      errmsg: this.message,
      code: this.code,
      codeName: this.codeName,
      ...this.extra,
      ...(labels.length ? { errorLabels: [...new Set(labels)] } : {}),
    };
  }
}

function isChangeStream(command: Document): boolean {
  return Array.isArray(command.pipeline) && command.pipeline[0] && '$changeStream' in command.pipeline[0];
}

export const badValue = (msg: string) => new ServerError(Codes.BadValue, msg);
export const notWritablePrimary = () => new ServerError(Codes.NotWritablePrimary, 'not primary');
export const notPrimaryNoSecondaryOk = () => new ServerError(Codes.NotPrimaryNoSecondaryOk, 'not primary and secondaryOk=false');

/** A duplicate-key error as a write error entry. */
export class DuplicateKeyError extends ServerError {
  constructor(ns: string, indexName: string, keyPattern: Document, keyValue: Document) {
    const dup = Object.entries(keyValue).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
    super(
      Codes.DuplicateKey,
      `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: { ${dup} }`,
      { keyPattern, keyValue },
    );
  }
}

export function writeError(index: number, err: ServerError): Document {
  return { index, code: err.code, errmsg: err.message, ...err.extra };
}
