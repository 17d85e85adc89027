// Runs one command: finds its handler, applies the member's failCommand fail
// point, enforces primary-only writes and reads, applies retryable writes
// once, and shapes errors as MongoDB does.
import { Long, Binary, type Document } from 'bson';
import { commands } from './commands/index.ts';
import type { Store } from './store.ts';
import type { CommandSpec, MemberView, ReplicaSetView } from './context.ts';
import { Codes, ServerError, notPrimaryNoSecondaryOk, notWritablePrimary } from './errors.ts';
import { CloseConnection, afterCommand, beforeCommand, noteHandshake, type Invocation } from './failpoint.ts';

const ZERO_SIGNATURE = { hash: new Binary(Buffer.alloc(20)), keyId: Long.fromNumber(0) };

function secondaryOk(command: Document, legacySecondaryOk: boolean): boolean {
  const mode = command.$readPreference?.mode;
  return legacySecondaryOk || (typeof mode === 'string' && mode !== 'primary');
}

function retryKey(command: Document): string | undefined {
  if (command.txnNumber === undefined || !command.lsid?.id) return undefined;
  const id = command.lsid.id as Binary;
  return `${Buffer.from(id.buffer).toString('hex')}:${String(command.txnNumber)}`;
}

export interface DispatchInput {
  command: Document;
  db: string;
  member: MemberView;
  rs: ReplicaSetView;
  connectionId: number;
  legacySecondaryOk?: boolean;
}

/** Commands that take a write concern: a failCommand `writeConcernError` applies to them. */
function takesWriteConcern(spec: CommandSpec, command: Document): boolean {
  if (spec.access === 'write') return true;
  const last = Array.isArray(command.pipeline) ? command.pipeline[command.pipeline.length - 1] : undefined;
  return command.aggregate !== undefined && !!last && typeof last === 'object' && ('$out' in last || '$merge' in last);
}

/**
 * Runs one command. Throws CloseConnection (failpoint.ts) when the failCommand fail point
 * says to hang up: the member then closes the connection without a reply.
 */
export async function dispatch(input: DispatchInput): Promise<Document> {
  const { command, member, rs } = input;
  const name = Object.keys(command)[0] ?? '';
  const store = rs.store;
  let reply: Document;
  try {
    const spec = commands[name];
    if (!spec) throw new ServerError(Codes.CommandNotFound, `no such command: '${name}'`);
    if (spec === commands.hello) noteHandshake(input.connectionId, command);
    const invocation: Invocation = {
      member, command, name, db: input.db, connectionId: input.connectionId,
      isCommand: (listed) => commands[listed] === spec,
      write: takesWriteConcern(spec, command),
    };
    const failed = await beforeCommand(invocation);
    if (failed) return withClusterTime(store, failed);
    if (command.startTransaction || command.autocommit === false) {
      throw new ServerError(Codes.IllegalOperation, 'multi-document transactions are not supported by the MongoDB stand-in; use a real replica set (MONGODB_URI)');
    }
    if (spec.access === 'write' && !member.isPrimary()) throw notWritablePrimary();
    if (spec.access === 'read' && !member.isPrimary() && !secondaryOk(command, !!input.legacySecondaryOk)) throw notPrimaryNoSecondaryOk();
    const key = spec.retryable ? retryKey(command) : undefined;
    const previous = key ? store.retriedReply(key) : undefined;
    if (previous) {
      reply = previous;
    } else {
      reply = await spec.handler({ command, name, db: input.db, member, rs, store, connectionId: input.connectionId });
      if (key && reply.ok) store.rememberRetryable(key, reply);
    }
    reply = afterCommand(invocation, reply);
  } catch (err) {
    if (err instanceof CloseConnection) throw err;
    if (!(err instanceof ServerError)) {
      reply = new ServerError(Codes.BadValue, `internal error in the stand-in: ${(err as Error).message}`).toReply(command);
    } else {
      reply = err.toReply(command);
    }
  }
  return withClusterTime(store, reply);
}

function withClusterTime(store: Store, reply: Document): Document {
  const operationTime = store.clock.now();
  return { ...reply, $clusterTime: { clusterTime: operationTime, signature: ZERO_SIGNATURE }, operationTime };
}
