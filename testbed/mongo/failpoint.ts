// Fail points, as mongod's `configureFailPoint` test command sets them: the
// `failCommand` fail point fails, blocks or hangs up on the listed commands, so
// that the driver's (and the platform's) retry and resume paths run for real.
// One set of fail points per member, cleared when the member dies (a restarted
// mongod starts with its fail points off). Behaviour follows mongod's
// CommandHelpers::evaluateFailCommandFailPoint and FailPoint::parseBSON.
import type { Document } from 'bson';
import { Codes, ServerError } from './errors.ts';

/** Thrown by the interception when `closeConnection` fires: the member hangs up without a reply. */
export class CloseConnection extends Error {
  constructor(readonly command: string) {
    super(`failCommand fail point: closing the connection instead of answering '${command}'`);
  }
}

/** A ServerError whose code the shared table (errors.ts) does not name. */
class NamedServerError extends ServerError {
  constructor(code: number, private readonly name_: string, message: string) {
    super(code, message);
  }

  override get codeName(): string {
    return this.name_;
  }
}
const FAILPOINT_MESSAGE = "Failing command via 'failCommand' failpoint";

type Mode =
  | { kind: 'off' }
  | { kind: 'alwaysOn' }
  | { kind: 'times'; left: number }
  | { kind: 'skip'; left: number }
  | { kind: 'random'; p: number };

/** mongod's bsonExtractIntegerField: a number exactly representable as an integer. */
function integerField(obj: Document, field: string): number {
  const v = obj[field];
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v && typeof v === 'object' && typeof v.toNumber === 'function' ? Number(v.toNumber()) : undefined;
  if (n === undefined) throw new ServerError(Codes.TypeMismatch, `Expected field "${field}" to have numeric type, but found ${typeof v}`);
  if (!Number.isInteger(n)) throw new ServerError(Codes.BadValue, `Expected field "${field}" to have a value exactly representable as a 64-bit integer, but found ${field}: ${n}`);
  return n;
}

/** FailPoint::parseBSON: the mode and data of a configureFailPoint command, with mongod's errors. */
export function parseMode(command: Document): { mode: Mode; data: Document } {
  const m = command.mode;
  let mode: Mode;
  if (m === undefined) throw new ServerError(Codes.IllegalOperation, "When setting a failpoint, you must supply a 'mode'");
  if (typeof m === 'string') {
    if (m === 'off') mode = { kind: 'off' };
    else if (m === 'alwaysOn') mode = { kind: 'alwaysOn' };
    else throw new ServerError(Codes.BadValue, `unknown mode: ${m}`);
  } else if (m && typeof m === 'object' && !Array.isArray(m)) {
    const counted = (field: 'times' | 'skip'): number => {
      const n = integerField(m, field);
      if (n < 0) throw new ServerError(Codes.BadValue, `'${field}' option to 'mode' must be positive`);
      if (n > 2 ** 31 - 1) throw new ServerError(Codes.BadValue, `'${field}' option to 'mode' is too large`);
      return n;
    };
    if ('times' in m) mode = { kind: 'times', left: counted('times') };
    else if ('skip' in m) mode = { kind: 'skip', left: counted('skip') };
    else if ('activationProbability' in m) {
      const p = m.activationProbability;
      if (typeof p !== 'number') throw new ServerError(Codes.TypeMismatch, "the 'activationProbability' option to 'mode' must be a double between 0 and 1");
      if (p < 0 || p > 1) throw new ServerError(Codes.BadValue, `activationProbability must be between 0.0 and 1.0; found ${p}`);
      mode = { kind: 'random', p };
    } else {
      throw new ServerError(Codes.BadValue, "'mode' must be one of 'off', 'alwaysOn', '{times:n}', '{skip:n}' or '{activationProbability:p}'");
    }
  } else {
    throw new ServerError(Codes.TypeMismatch, "'mode' must be a string or JSON object");
  }
  const data = command.data ?? {};
  if (typeof data !== 'object' || Array.isArray(data) || data === null) throw new ServerError(Codes.TypeMismatch, "the 'data' option must be a JSON object");
  return { mode, data };
}

/** One fail point: its mode, its data and how often it fired (never reset, as in mongod). */
export class FailPoint {
  private mode: Mode = { kind: 'off' };
  data: Document = {};
  timesEntered = 0;
  private readonly waiters = new Set<() => void>();

  /** Sets mode and data; returns how often it fired before (configureFailPoint's `count`). */
  set(mode: Mode, data: Document): number {
    this.mode = mode.kind === 'times' && mode.left <= 0 ? { kind: 'off' } : mode;
    this.data = mode.kind === 'off' ? {} : data;
    return this.timesEntered;
  }

  get active(): boolean {
    return this.mode.kind !== 'off';
  }

  /** Fires once if active and `applies(data)`: counts down `times`, uses up `skip`. */
  enter(applies: (data: Document) => boolean): Document | undefined {
    const mode = this.mode;
    if (mode.kind === 'off' || !applies(this.data)) return undefined;
    const data = this.data;
    if (mode.kind === 'times') {
      mode.left -= 1;
      if (mode.left <= 0) this.set({ kind: 'off' }, {});
    } else if (mode.kind === 'skip' && mode.left > 0) {
      mode.left -= 1;
      return undefined;
    } else if (mode.kind === 'random' && Math.random() >= mode.p) {
      return undefined;
    }
    this.timesEntered += 1;
    for (const wake of this.waiters) wake();
    return data;
  }

  /** Resolves once the fail point has fired `target` times in all, or with false after `ms`. */
  waitForTimesEntered(target: number, ms?: number): Promise<boolean> {
    if (this.timesEntered >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.waiters.delete(check);
        if (timer) clearTimeout(timer);
        resolve(ok);
      };
      const check = () => {
        if (this.timesEntered >= target) done(true);
      };
      const timer = ms !== undefined ? setTimeout(() => done(false), ms) : undefined;
      this.waiters.add(check);
    });
  }

  /** What is left of a `{times}` or `{skip}` mode, for tests; undefined for the other modes. */
  get remaining(): number | undefined {
    return this.mode.kind === 'times' || this.mode.kind === 'skip' ? this.mode.left : undefined;
  }
}

/** The fail points a member knows; any other name fails as in mongod. */
export class FailPoints {
  readonly failCommand = new FailPoint();

  get(name: unknown): FailPoint {
    if (name === 'failCommand') return this.failCommand;
    throw new NamedServerError(266, 'FailPointSetFailed', `${String(name)} not found`);
  }
}

const perMember = new WeakMap<object, FailPoints>();

/** The fail points of one member (created off). */
export function failPointsOf(member: object): FailPoints {
  let fps = perMember.get(member);
  if (!fps) perMember.set(member, (fps = new FailPoints()));
  return fps;
}

/** Turns every fail point of a member off: it crashed, and a restarted mongod starts without them. */
export function resetFailPoints(member: object): void {
  perMember.delete(member);
}

// ---- The client metadata of each connection (for `appName`) ----

const appNames = new Map<number, string>();

/** Keeps the appName of a connection's handshake (the first hello carrying `client`). */
export function noteHandshake(connectionId: number, command: Document): void {
  const name = command.client?.application?.name;
  if (typeof name === 'string' && !appNames.has(connectionId)) appNames.set(connectionId, name);
}

export function forgetConnection(connectionId: number): void {
  appNames.delete(connectionId);
}

// ---- The commands ----

/** `{configureFailPoint: name, mode, data}`: answers `{count: timesEntered}` as mongod does. */
export function configureFailPoint(member: object, db: string, command: Document): Document {
  if (db !== 'admin') throw new ServerError(Codes.Unauthorized, 'configureFailPoint may only be run against the admin database.');
  const fp = failPointsOf(member).get(command.configureFailPoint);
  const { mode, data } = parseMode(command);
  return { count: fp.set(mode, data), ok: 1 };
}

/** `{waitForFailPoint: name, timesEntered: n, maxTimeMS}`: waits until the fail point fired n times in all. */
export async function waitForFailPoint(member: object, db: string, command: Document): Promise<Document> {
  if (db !== 'admin') throw new ServerError(Codes.Unauthorized, 'waitForFailPoint may only be run against the admin database.');
  const fp = failPointsOf(member).get(command.waitForFailPoint);
  const target = integerField(command, 'timesEntered');
  const ms = command.maxTimeMS !== undefined ? integerField(command, 'maxTimeMS') : undefined;
  if (!(await fp.waitForTimesEntered(target, ms && ms > 0 ? ms : undefined))) throw new ServerError(Codes.MaxTimeMSExpired, 'operation exceeded time limit');
  return { ok: 1 };
}

// ---- failCommand: the interception around one command ----

/** Codes mongod labels RetryableWriteError on a retryable write (the drivers' retryable-writes list). */
const RETRYABLE_WRITE_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
/** Codes after which a change stream resumes (the drivers' change-streams list). */
const RESUMABLE_CODES = new Set([...RETRYABLE_WRITE_CODES, 63, 133, 150, 234, 13388, 43]);

const CODE_NAMES: Record<number, string> = {
  1: 'InternalError', 2: 'BadValue', 6: 'HostUnreachable', 7: 'HostNotFound', 8: 'UnknownError', 11: 'UserNotFound',
  13: 'Unauthorized', 18: 'AuthenticationFailed', 24: 'LockTimeout', 26: 'NamespaceNotFound', 43: 'CursorNotFound',
  50: 'MaxTimeMSExpired', 59: 'CommandNotFound', 63: 'StaleShardVersion', 64: 'WriteConcernFailed', 79: 'UnknownReplWriteConcern',
  89: 'NetworkTimeout', 91: 'ShutdownInProgress', 100: 'UnsatisfiableWriteConcern', 112: 'WriteConflict',
  121: 'DocumentValidationFailure', 133: 'FailedToSatisfyReadPreference', 136: 'CappedPositionLost', 150: 'StaleEpoch',
  189: 'PrimarySteppedDown', 234: 'RetryChangeStream', 251: 'NoSuchTransaction', 262: 'ExceededTimeLimit',
  280: 'ChangeStreamFatalError', 286: 'ChangeStreamHistoryLost', 9001: 'SocketException', 10107: 'NotWritablePrimary',
  11000: 'DuplicateKey', 11600: 'InterruptedAtShutdown', 11602: 'InterruptedDueToReplStateChange', 13388: 'StaleConfig',
  13435: 'NotPrimaryNoSecondaryOk', 13436: 'NotPrimaryOrSecondary',
};

function codeName(code: number): string {
  if (CODE_NAMES[code]) return CODE_NAMES[code];
  const known = new ServerError(code, '').codeName;
  return known !== 'UnknownError' ? known : `Location${code}`;
}

const isChangeStream = (command: Document) => Array.isArray(command.pipeline) && !!command.pipeline[0] && '$changeStream' in command.pipeline[0];

/** Error labels: the fail point's `errorLabels` replace what the server would attach. */
function labelsFor(code: number, command: Document, data: Document): string[] {
  if (Array.isArray(data.errorLabels)) return data.errorLabels.filter((l: unknown): l is string => typeof l === 'string');
  const labels: string[] = [];
  if (RETRYABLE_WRITE_CODES.has(code) && command.txnNumber !== undefined && command.autocommit === undefined) labels.push('RetryableWriteError');
  if (RESUMABLE_CODES.has(code) && (command.getMore !== undefined || isChangeStream(command))) labels.push('ResumableChangeStreamError');
  return labels;
}

export interface Invocation {
  member: object;
  command: Document;
  name: string;
  db: string;
  connectionId: number;
  /** True when `listed` names this command (or one of its aliases). */
  isCommand(listed: string): boolean;
  /** Whether the command takes a write concern (a `writeConcernError` applies to it). */
  write: boolean;
}

/** Whether `failCommand`'s data selects this invocation (CommandHelpers::shouldActivateFailCommandFailPoint). */
function selects(inv: Invocation, data: Document): boolean {
  if (inv.name === 'configureFailPoint') return false; // never failed, even when listed
  if (typeof data.appName === 'string' && appNames.get(inv.connectionId) !== data.appName) return false;
  if (typeof data.namespace === 'string') {
    const coll = inv.command[inv.name];
    if (typeof coll !== 'string' || `${inv.db}.${coll}` !== data.namespace) return false;
  }
  if (data.failAllCommands === true) return true;
  return Array.isArray(data.failCommands) && data.failCommands.some((c: unknown) => typeof c === 'string' && inv.isCommand(c));
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const acts = (d: Document) => d.closeConnection === true || d.blockConnection === true || typeof d.errorCode === 'number';

/**
 * Before the command runs (evaluateFailCommandFailPoint): fires when the data has
 * `closeConnection`, `blockConnection` or `errorCode`. Blocks `blockTimeMS` first when asked,
 * then throws CloseConnection, or returns the error reply, or returns undefined to let the
 * command run.
 */
export async function beforeCommand(inv: Invocation): Promise<Document | undefined> {
  const fp = perMember.get(inv.member)?.failCommand;
  if (!fp?.active) return undefined;
  const data = fp.enter((d) => selects(inv, d) && acts(d));
  if (!data) return undefined;
  if (data.blockConnection === true) {
    if (typeof data.blockTimeMS !== 'number' || !Number.isInteger(data.blockTimeMS)) throw new ServerError(Codes.InvalidOptions, "must specify 'blockTimeMS' when 'blockConnection' is true");
    if (data.blockTimeMS < 0) throw new ServerError(Codes.InvalidOptions, "'blockTimeMS' must be non-negative");
    await wait(data.blockTimeMS);
  }
  if (data.closeConnection === true) throw new CloseConnection(inv.name);
  if (typeof data.errorCode !== 'number') return undefined;
  const code = data.errorCode;
  const labels = labelsFor(code, inv.command, data);
  return { ok: 0, errmsg: FAILPOINT_MESSAGE, code, codeName: codeName(code), ...(labels.length ? { errorLabels: labels } : {}) };
}

/**
 * After a write command that ran and succeeded: fires when the data has `writeConcernError`,
 * which the reply then carries (with the data's `errorLabels`). As in mongod this is a
 * firing of its own: `blockConnection` with a `writeConcernError` fires twice per command.
 */
export function afterCommand(inv: Invocation, reply: Document): Document {
  const fp = perMember.get(inv.member)?.failCommand;
  if (!fp?.active || !inv.write || reply.ok !== 1) return reply;
  const data = fp.enter((d) => selects(inv, d) && isDocument(d.writeConcernError));
  if (!data) return reply;
  const labels = Array.isArray(data.errorLabels) ? labelsFor(0, inv.command, data) : [];
  return { ...reply, writeConcernError: data.writeConcernError, ...(labels.length ? { errorLabels: labels } : {}) };
}

function isDocument(v: unknown): v is Document {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
