// The stand-in replica set: members sharing one store, a single primary that
// accepts writes, and elections after a crash, a partition or a stepdown.
import { EventEmitter } from 'node:events';
import { Long, ObjectId, type Document } from 'bson';
import type { MemberView, ReplicaSetView } from './context.ts';
import { Codes, ServerError } from './errors.ts';
import { Member, type Logger } from './member.ts';
import { Store } from './store.ts';
import { freePort } from '../services/port.ts';

export type Delay = number | [number, number];

export interface ReplicaSetOptions {
  /** First member's port; the others follow it. 0 (default) picks free ports. */
  port?: number;
  members?: number;
  setName?: string;
  host?: string;
  /** Time without a primary after a primary crash, partition or a stepdown without handoff. Default 10-12 s, like MongoDB. */
  electionDelayMs?: Delay;
  /** Time until the new primary after a stepdown with election handoff (MongoDB's default stepdown). */
  handoffMs?: number;
  ttlIntervalMs?: number;
  logger?: Logger;
}

export interface MemberStatus {
  index: number;
  host: string;
  state: 'PRIMARY' | 'SECONDARY' | 'DOWN';
  partitioned: boolean;
}

const silent: Logger = { info() {}, warn() {}, debug() {} };
const STEPDOWN_INELIGIBLE_MS = 60_000;

function pick(delay: Delay): number {
  if (typeof delay === 'number') return delay;
  const [min, max] = delay;
  return min + Math.random() * (max - min);
}

export class ReplicaSet implements ReplicaSetView {
  readonly store = new Store();
  readonly members: Member[] = [];
  readonly setName: string;
  private primaryIndex?: number;
  private term = 0;
  private electionTimer?: NodeJS.Timeout;
  private ttlTimer?: NodeJS.Timeout;
  private electionDelay: Delay;
  private readonly handoffMs: number;
  private readonly ineligibleUntil = new Map<number, number>();
  private readonly topology = new EventEmitter();
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly options: ReplicaSetOptions = {}) {
    this.setName = options.setName ?? 'rs0';
    this.electionDelay = options.electionDelayMs ?? [10_000, 12_000];
    this.handoffMs = options.handoffMs ?? 300;
    this.logger = options.logger ?? silent;
    this.topology.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    const count = this.options.members ?? 3;
    for (let i = 0; i < count; i++) {
      const port = this.options.port ? this.options.port + i : await freePort(host);
      const member = new Member(i, port, this, this.logger, host);
      await member.listen();
      this.members.push(member);
    }
    this.elect();
    this.ttlTimer = setInterval(() => {
      if (this.primaryIndex !== undefined) this.store.expire();
    }, this.options.ttlIntervalMs ?? 1000);
    this.ttlTimer.unref();
  }

  get uri(): string {
    return `mongodb://${this.members.map((m) => m.host).join(',')}/?replicaSet=${this.setName}`;
  }

  primary(): number | undefined {
    return this.primaryIndex;
  }

  isPrimaryMember(member: Member): boolean {
    return this.primaryIndex === member.index && member.healthy;
  }

  statuses(): MemberStatus[] {
    return this.members.map((m) => ({
      index: m.index,
      host: m.host,
      state: m.down ? 'DOWN' : this.primaryIndex === m.index ? 'PRIMARY' : 'SECONDARY',
      partitioned: m.partitioned,
    }));
  }

  async waitForPrimary(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.primaryIndex === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no primary elected within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.topology.once('change', done);
      });
    }
    return this.primaryIndex;
  }

  setElectionDelay(delay: Delay): void {
    this.electionDelay = delay;
  }

  private bump(): void {
    for (const m of this.members) m.counter += 1n;
    this.topology.emit('change');
  }

  private get majority(): number {
    return Math.floor(this.members.length / 2) + 1;
  }

  /** Elects the first healthy eligible member, if a majority is healthy. */
  private elect(): void {
    this.electionTimer = undefined;
    if (this.closed || this.primaryIndex !== undefined) return;
    const healthy = this.members.filter((m) => m.healthy);
    if (healthy.length < this.majority) {
      this.logger.warn({ healthy: healthy.length, needed: this.majority }, 'mongo stand-in: no majority, no primary');
      return;
    }
    const now = Date.now();
    const eligible = healthy.filter((m) => (this.ineligibleUntil.get(m.index) ?? 0) <= now);
    if (eligible.length === 0) {
      // Every healthy member stepped down recently: nobody stands until the first wait ends.
      const next = Math.min(...healthy.map((m) => this.ineligibleUntil.get(m.index) ?? now));
      this.scheduleElection(Math.max(0, next - now));
      return;
    }
    const chosen = eligible[0];
    this.primaryIndex = chosen.index;
    this.term += 1;
    this.bump();
    this.logger.info({ primary: chosen.host, term: this.term }, 'mongo stand-in: primary elected');
  }

  /** Drops the primary and schedules an election after `delayMs`. */
  private loseprimary(delayMs: number, reason: string): void {
    const old = this.primaryIndex;
    this.primaryIndex = undefined;
    if (old !== undefined) this.logger.info({ old: this.members[old].host, reason, electionMs: Math.round(delayMs) }, 'mongo stand-in: primary lost');
    this.bump();
    this.scheduleElection(delayMs);
  }

  private scheduleElection(delayMs: number): void {
    if (this.electionTimer) clearTimeout(this.electionTimer);
    this.electionTimer = setTimeout(() => this.elect(), delayMs);
    this.electionTimer.unref();
  }

  /** After a member leaves or returns: keep a primary only with a majority, elect one when possible. */
  private reconsider(): void {
    const healthy = this.members.filter((m) => m.healthy).length;
    if (this.primaryIndex !== undefined && (!this.members[this.primaryIndex].healthy || healthy < this.majority)) {
      this.loseprimary(pick(this.electionDelay), 'primary unreachable or lost its majority');
    } else if (this.primaryIndex === undefined && !this.electionTimer && healthy >= this.majority) {
      this.scheduleElection(pick(this.electionDelay));
    }
  }

  /** Steps the primary down; it cannot be re-elected for `stepDownSecs` (default 60, as replSetStepDown). */
  async stepDown(opts: { handoff?: boolean; stepDownSecs?: number } = {}): Promise<void> {
    const old = this.primaryIndex;
    if (old === undefined) throw new ServerError(Codes.NotWritablePrimary, 'not primary so can\'t step down');
    this.ineligibleUntil.set(old, Date.now() + (opts.stepDownSecs ?? STEPDOWN_INELIGIBLE_MS / 1000) * 1000);
    this.loseprimary(opts.handoff === false ? pick(this.electionDelay) : this.handoffMs, 'stepdown');
  }

  async kill(index: number): Promise<void> {
    const member = this.member(index);
    await member.kill();
    this.logger.info({ member: member.host }, 'mongo stand-in: member killed');
    this.reconsider();
  }

  async restart(index: number): Promise<void> {
    const member = this.member(index);
    if (!member.down) return;
    await member.listen();
    this.logger.info({ member: member.host }, 'mongo stand-in: member restarted');
    this.bump();
    this.reconsider();
  }

  partition(index: number): void {
    const member = this.member(index);
    member.partitioned = true;
    this.logger.info({ member: member.host }, 'mongo stand-in: member partitioned');
    this.reconsider();
  }

  heal(index: number): void {
    const member = this.member(index);
    member.partitioned = false;
    this.logger.info({ member: member.host }, 'mongo stand-in: member healed');
    this.bump();
    this.reconsider();
  }

  private member(index: number): Member {
    const member = this.members[index];
    if (!member) throw new ServerError(Codes.BadValue, `no member ${index}: members are 0-${this.members.length - 1}`);
    return member;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.electionTimer) clearTimeout(this.electionTimer);
    if (this.ttlTimer) clearInterval(this.ttlTimer);
    await Promise.all(this.members.map((m) => m.kill()));
    this.topology.emit('change');
  }

  // ---- ReplicaSetView: what command handlers ask of the set ----

  hello(member: MemberView, command: Document): Document {
    const self = this.members[member.index];
    const isPrimary = this.isPrimaryMember(self);
    const legacy = 'isMaster' in command || 'ismaster' in command;
    const primary = this.primaryIndex !== undefined ? this.members[this.primaryIndex].host : undefined;
    const opTime = { ts: this.store.clock.now(), t: Long.fromNumber(this.term) };
    const now = new Date();
    return {
      ...(command.helloOk ? { helloOk: true } : {}),
      topologyVersion: { processId: self.processId, counter: Long.fromBigInt(self.counter) },
      hosts: this.members.map((m) => m.host),
      setName: this.setName,
      setVersion: 1,
      [legacy ? 'ismaster' : 'isWritablePrimary']: isPrimary,
      secondary: !isPrimary,
      ...(primary ? { primary } : {}),
      me: self.host,
      ...(isPrimary ? { electionId: new ObjectId(`7fffffff${this.term.toString(16).padStart(16, '0')}`) } : {}),
      lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      localTime: now,
      logicalSessionTimeoutMinutes: 30,
      connectionId: 1,
      minWireVersion: 0,
      maxWireVersion: 21,
      readOnly: false,
      ok: 1,
    };
  }

  status(member: MemberView): Document {
    const states = this.statuses();
    return {
      set: this.setName,
      date: new Date(),
      myState: member.isPrimary() ? 1 : 2,
      term: Long.fromNumber(this.term),
      members: states.map((s) => {
        const reachable = s.state !== 'DOWN' && !s.partitioned;
        return {
          _id: s.index,
          name: s.host,
          health: reachable ? 1 : 0,
          state: !reachable ? 8 : s.state === 'PRIMARY' ? 1 : 2,
          stateStr: !reachable ? '(not reachable/healthy)' : s.state,
          ...(s.index === member.index ? { self: true } : {}),
        };
      }),
      standIn: 'MongoDB replica-set stand-in for development and tests: never for production',
      ok: 1,
    };
  }

  async control(action: string, member: MemberView, args: Document): Promise<Document> {
    const target = (fallback: number | undefined): number => {
      const index = args.member ?? fallback;
      if (typeof index !== 'number') throw new ServerError(Codes.BadValue, `${action}: no member given and no primary to default to`);
      return index;
    };
    switch (action) {
      case 'stepDown': {
        const secs = args.replSetStepDown ?? args.stepDownSecs;
        await this.stepDown({ handoff: args.handoff !== false, ...(typeof secs === 'number' && secs > 0 ? { stepDownSecs: secs } : {}) });
        break;
      }
      case 'shutdown':
        await this.kill(member.index);
        break;
      case 'kill': {
        const index = target(this.primaryIndex);
        // A member killing itself answers first, so the caller learns the fault was injected.
        if (index === member.index) setImmediate(() => void this.kill(index));
        else await this.kill(index);
        break;
      }
      case 'restart':
        await this.restart(target(undefined));
        break;
      case 'partition':
        this.partition(target(this.primaryIndex));
        break;
      case 'heal':
        this.heal(target(undefined));
        break;
      case 'electionDelay': {
        const ms = args.ms;
        const valid = typeof ms === 'number' ? ms >= 0 : Array.isArray(ms) && ms.length === 2 && ms.every((v) => typeof v === 'number' && v >= 0);
        if (!valid) throw new ServerError(Codes.BadValue, 'electionDelay: ms must be a number or [min, max] of milliseconds');
        this.setElectionDelay(ms as Delay);
        break;
      }
      case 'status':
        break;
      default:
        throw new ServerError(Codes.BadValue, `unknown testbedFault '${action}': use stepDown, kill, restart, partition, heal, electionDelay or status`);
    }
    return { members: this.statuses(), primary: this.primaryIndex ?? null, ok: 1 };
  }

  topologyChange(member: MemberView, counter: bigint, ms: number): Promise<void> {
    const self = this.members[member.index];
    if (self.counter !== counter) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.topology.off('change', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.topology.on('change', done);
    });
  }
}
