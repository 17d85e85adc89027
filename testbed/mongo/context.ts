// What a command handler sees: the command, its database, the member that
// received it and the replica set around it.
import type { Document } from 'bson';
import type { Store } from './store.ts';
import type { Cursors } from './cursors.ts';

export interface MemberView {
  readonly index: number;
  readonly host: string;
  readonly cursors: Cursors;
  isPrimary(): boolean;
}

export interface ReplicaSetView {
  readonly setName: string;
  readonly store: Store;
  hello(member: MemberView, command: Document): Document;
  status(member: MemberView): Document;
  /** Runs a fault-control action (the testbed's own admin commands and the real ones). */
  control(action: string, member: MemberView, args: Document): Promise<Document>;
  /** Waits until the topology version of this member differs from `counter` or `ms` pass. */
  topologyChange(member: MemberView, counter: bigint, ms: number): Promise<void>;
}

export interface Context {
  readonly command: Document;
  readonly name: string;
  readonly db: string;
  readonly member: MemberView;
  readonly rs: ReplicaSetView;
  readonly store: Store;
  readonly connectionId: number;
}

export type Handler = (ctx: Context) => Document | Promise<Document>;

/** `write` needs the primary; `read` needs the primary unless the read preference allows secondaries. */
export type Access = 'write' | 'read' | 'any';

export interface CommandSpec {
  access: Access;
  handler: Handler;
  /** Executed once per session and transaction number (retryable writes). */
  retryable?: boolean;
}
