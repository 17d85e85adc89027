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
  DollarPrefixedFieldName: 52,
  NotImplemented: 238,
  ChangeStreamFatalError: 280,
  MergeStageNoMatchingDocument: 13113,
  /** Use of an undefined variable (`$$name`). */
  Location17276: 17276,
  /** A stage that must be last is not last ($out, $merge). */
  Location40601: 40601,
  /** A stage not allowed inside $facet. */
  Location40600: 40600,
  /** A stage document without exactly one field. */
  Location40323: 40323,
  /** $changeStream anywhere but first. */
  Location40602: 40602,
  /** An unknown aggregation stage. */
  Location40324: 40324,
  /** An unknown field in a command (IDL parsing). */
  Location40415: 40415,
  /** A stage not allowed inside a $lookup sub-pipeline. */
  Location51047: 51047,
  /** A stage not allowed inside a $unionWith sub-pipeline. */
  Location31441: 31441,
  /** $merge: an 'on' field is missing, null or undefined. */
  Location51132: 51132,
  /** $merge: an 'on' field is an array. */
  Location51185: 51185,
  /** $merge: no unique index backs the 'on' fields. */
  Location51183: 51183,
  /** $merge: a whenMatched/whenNotMatched combination MongoDB does not offer. */
  Location51181: 51181,
  /** $merge: 'let' with a whenMatched mode other than a pipeline. */
  Location51199: 51199,
  /** $merge: a duplicate field in 'on'. */
  Location31465: 31465,
  /** A command-level 'let' expression that reads a document field. */
  Location4890500: 4890500,
  /** A command-level 'let' that sets a system variable. */
  Location4738901: 4738901,
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

/** What the stand-in refuses rather than answer differently from MongoDB: NotImplemented (238). */
export const notSupported = (what: string) =>
  new ServerError(Codes.NotImplemented, `${what} is not supported by the MongoDB stand-in; use a real MongoDB (MONGODB_URI)`);

/**
 * An error thrown by mingo as MongoDB reports it: an undefined variable
 * (17276), an unknown stage (40324); anything else is a BadValue (2).
 */
export function fromMingo(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  const message = (err as Error)?.message ?? String(err);
  const variable = /Use of undefined variable: (\S+)/.exec(message);
  if (variable) return new ServerError(Codes.Location17276, `Use of undefined variable: ${variable[1]}`);
  const stage = /unregistered pipeline operator (\$[^.\s]+)/.exec(message);
  if (stage) return new ServerError(Codes.Location40324, `Unrecognized pipeline stage name: '${stage[1]}'`);
  return badValue(message);
}

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
