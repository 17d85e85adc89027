// The drill's view of MongoDB: fault injection (the stand-in's testbedFault
// command, or replSetStepDown on a real replica set), a probe writer that
// measures when writes are acknowledged again, and the slot poller that says
// when a state is durable.
import { MongoClient, type Collection, type Db } from 'mongodb';
import { bounded, connectMongo } from '../mongo/index.ts';
import { DeadlineError } from './wait.ts';

export type DbFault = 'stepdown' | 'kill' | 'election';

interface MemberStatus {
  index: number;
  host: string;
  state: string;
  partitioned: boolean;
}

const POLL_MS = 25;
const RETRY_MS = 20;

/** The pause between two polls or retries; cut short when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How long a member that the drill stepped down cannot be elected (MongoDB's stepDownSecs). */
export const STEPDOWN_SECS = { standIn: 5, real: 10 };

export class DrillDatabase {
  private killed: number | undefined;
  /** When the last stepdown's freeze ends (Date.now() clock). */
  private frozenUntil = 0;

  private constructor(
    readonly kind: 'stand-in' | 'uri',
    private readonly admin: MongoClient,
    private readonly data: MongoClient,
    readonly db: Db,
    private readonly now: () => number,
  ) {}

  static async connect(uri: string, dbName: string, kind: 'stand-in' | 'uri', now: () => number): Promise<DrillDatabase> {
    const admin = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, readPreference: 'nearest', appName: 'parking-drill-admin' });
    await admin.connect();
    const data = await connectMongo(uri, { appName: 'parking-drill' });
    return new DrillDatabase(kind, admin, data, data.db(dbName), now);
  }

  /** Faults this MongoDB can take: all on the stand-in, a stepdown on a real replica set. */
  supports(fault: DbFault): string | undefined {
    if (this.kind === 'stand-in' || fault === 'stepdown') return undefined;
    return fault === 'kill'
      ? 'needs the stand-in: the drill cannot restart a mongod it did not start'
      : 'needs the stand-in: a stepdown without election handoff would need a server parameter changed on the real replica set';
  }

  private async testbed(command: Record<string, unknown>): Promise<{ members: MemberStatus[]; primary: number | null }> {
    const reply = await bounded(`testbedFault ${String(command.testbedFault)}`, 10_000, (signal) => this.admin.db('admin').command(command, { readPreference: 'nearest', signal }));
    return { members: reply.members as MemberStatus[], primary: (reply.primary as number | null) ?? null };
  }

  /** Injects the fault; resolves once it is in effect (the member stepped down or is dead). */
  async inject(fault: DbFault): Promise<void> {
    if (this.kind === 'uri') {
      if (fault !== 'stepdown') throw new Error(`db fault ${fault} ${this.supports(fault)}`);
      this.frozenUntil = Date.now() + STEPDOWN_SECS.real * 1000;
      try {
        await bounded('replSetStepDown', 30_000, (signal) => this.admin.db('admin').command({ replSetStepDown: STEPDOWN_SECS.real, secondaryCatchUpPeriodSecs: 5 }, { readPreference: 'primary', signal }));
      } catch (error) {
        // Servers before 4.2 drop every connection on a stepdown instead of answering.
        if ((error as { name?: string }).name === 'MongoServerError') throw error;
      }
      return;
    }
    if (fault === 'kill') {
      const { primary } = await this.testbed({ testbedFault: 'status' });
      if (primary === null) throw new Error('db-kill: no primary to kill');
      this.killed = primary;
      await this.testbed({ testbedFault: 'kill', member: primary });
      return;
    }
    this.frozenUntil = Date.now() + STEPDOWN_SECS.standIn * 1000;
    await this.testbed({ testbedFault: 'stepDown', handoff: fault === 'stepdown', stepDownSecs: STEPDOWN_SECS.standIn });
  }

  /**
   * Until a member the drill stepped down may be elected again, ms (0 when none is barred).
   * A database run starts only when every member can be elected: otherwise a crash right
   * after a stepdown would measure the stepdown's freeze, not the election.
   */
  frozenForMs(): number {
    return Math.max(0, this.frozenUntil - Date.now());
  }

  /** Undoes what the fault left behind: restarts a killed member. */
  async restore(): Promise<void> {
    if (this.killed === undefined) return;
    const member = this.killed;
    this.killed = undefined;
    await this.testbed({ testbedFault: 'restart', member });
  }

  /** Resolves once there is a primary and (stand-in) no member is down. */
  async waitHealthy(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.now() + timeoutMs;
    let last = 'no answer';
    while (!signal?.aborted) {
      try {
        if (this.kind === 'stand-in') {
          const { members, primary } = await this.testbed({ testbedFault: 'status' });
          last = members.map((m) => `${m.index}:${m.state}`).join(' ');
          if (primary !== null && members.every((m) => m.state === 'PRIMARY' || m.state === 'SECONDARY')) return;
        } else {
          const hello = await bounded('hello', 5000, (signal) => this.admin.db('admin').command({ hello: 1 }, { readPreference: 'primary', signal }));
          if (hello.isWritablePrimary) return;
        }
      } catch (error) {
        last = (error as Error).message;
      }
      if (this.now() > deadline) throw new DeadlineError(`MongoDB not healthy within ${timeoutMs} ms (${last})`);
      await pause(POLL_MS * 4, signal);
    }
  }

  /**
   * Writes until a majority write is acknowledged; resolves with the time of that
   * acknowledgement (errors during the election are retried at once, a little apart).
   */
  async writeAcknowledged(deadline: number, signal?: AbortSignal): Promise<number> {
    const probe: Collection<{ _id: string; n: number; at: Date }> = this.db.collection('drillProbe');
    let last = '';
    while (!signal?.aborted) {
      try {
        await bounded('probe write', Math.max(1000, deadline - this.now()), (s) => probe.updateOne({ _id: 'probe' }, { $inc: { n: 1 }, $set: { at: new Date() } }, { upsert: true, signal: s } as never));
        return this.now();
      } catch (error) {
        last = (error as Error).message;
      }
      if (this.now() > deadline) break;
      await pause(RETRY_MS, signal);
    }
    throw new DeadlineError(`no write acknowledged before the deadline (${last})`);
  }

  /** Resolves with the time `slotId` was first read durable with seq >= `seq` (majority read, primary preferred). */
  async durable(slotId: string, seq: number, deadline: number, signal?: AbortSignal): Promise<number> {
    const slots = this.db.collection<{ _id: string; seq?: number }>('slots');
    let last = 'not there yet';
    while (!signal?.aborted) {
      try {
        const doc = await bounded('durability poll', 2000, (s) => slots.findOne({ _id: slotId }, { projection: { seq: 1 }, readPreference: 'primaryPreferred', readConcern: { level: 'majority' }, signal: s }));
        if (doc && typeof doc.seq === 'number' && doc.seq >= seq) return this.now();
        last = doc ? `seq ${doc.seq}` : 'no document';
      } catch (error) {
        last = (error as Error).message;
      }
      if (this.now() > deadline) break;
      await pause(POLL_MS, signal);
    }
    throw new DeadlineError(`${slotId} seq ${seq} not durable before the deadline (${last})`);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.admin.close(), this.data.close()]);
  }
}
