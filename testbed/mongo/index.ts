// The MongoDB replica-set stand-in: a development and test tool that the
// unmodified `mongodb` driver talks to as a replica set. Never for production.
import { ReplicaSet, type ReplicaSetOptions, type MemberStatus, type Delay } from './replset.ts';

export type { ReplicaSetOptions, MemberStatus, Delay };
export { ReplicaSet };

export const STAND_IN_NOTICE = 'MongoDB replica-set stand-in (development and test only, never for production)';

export interface StandInReplicaSet {
  readonly uri: string;
  primary(): number | undefined;
  statuses(): MemberStatus[];
  waitForPrimary(timeoutMs?: number): Promise<number>;
  stepDown(opts?: { handoff?: boolean; stepDownSecs?: number }): Promise<void>;
  kill(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  partition(i: number): void;
  heal(i: number): void;
  setElectionDelay(ms: Delay): void;
  close(): Promise<void>;
}

export async function startReplicaSet(options: ReplicaSetOptions = {}): Promise<StandInReplicaSet> {
  const rs = new ReplicaSet(options);
  await rs.start();
  return rs;
}
