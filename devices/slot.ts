// One slot's publisher: debounced readings become canonical, retained, QoS 1
// slot states with `ts` and the device's `seq`, published over a link.
import { encodeSlotState, type SlotState, type SlotStatus, type Topics } from '../contract/index.ts';
import type { FailoverLink } from '../link/index.ts';
import { Debouncer, type Scheduler } from './debounce.ts';

export interface SlotAddress {
  lot: string;
  level: string;
  slot: string;
}

export interface SeqSource {
  next(): number;
}

export interface SlotPublisherOptions extends SlotAddress {
  link: FailoverLink;
  topics: Topics;
  /** Device id in the payload. */
  device: string;
  seq: SeqSource;
  /** Hold time of a new reading before it is published, ms. */
  debounceMs: number;
  scheduler?: Scheduler;
  /** Called with every new state as it is published. */
  onPublish?: (state: SlotState) => void;
}

export class SlotPublisher {
  readonly topic: string;
  private last: SlotState | undefined;
  private readonly debouncer: Debouncer<SlotStatus>;
  private count = 0;
  /** The state whose publish is not acknowledged yet, if any. */
  private unacked: SlotState | undefined;
  /** The link connection (epoch) that acknowledged the last state. */
  private ackedIn: number | undefined;

  constructor(private readonly options: SlotPublisherOptions) {
    this.topic = options.topics.slot(options.lot, options.level, options.slot);
    this.debouncer = new Debouncer<SlotStatus>(options.debounceMs, (status, since) => this.change(status, since), options.scheduler);
  }

  /** A raw sensor reading; published once it held for the debounce time. */
  reading(occupied: boolean, at?: number): void {
    this.debouncer.input(occupied ? 'occupied' : 'free', at);
  }

  /** The last state published (undefined before the first). */
  get state(): SlotState | undefined {
    return this.last;
  }

  /** How many states were published. */
  get published(): number {
    return this.count;
  }

  /**
   * Publishes the current state again, unchanged (same ts and seq), so that a broker the link
   * just moved to is current. Skipped while that state still waits for its acknowledgement (the
   * link re-sends it anyway) and when the connection in use acknowledged it.
   */
  republish(): Promise<void> {
    if (!this.last || this.unacked === this.last || this.ackedIn === this.options.link.epoch) return Promise.resolve();
    return this.send(this.last);
  }

  /** Settles a reading still waiting for its hold time (the input ended). */
  flush(): void {
    this.debouncer.flush();
  }

  stop(): void {
    this.debouncer.stop();
  }

  private change(status: SlotStatus, since: number): void {
    // ts never goes back within a run, even if the clock does; seq breaks the tie.
    const ts = Math.max(Math.round(since), this.last?.ts ?? 0);
    const state: SlotState = { status, ts, seq: this.options.seq.next(), device: this.options.device };
    this.last = state;
    this.count += 1;
    this.options.onPublish?.(state);
    void this.send(state);
  }

  private send(state: SlotState): Promise<void> {
    this.unacked = state;
    const acked = this.options.link.publish(this.topic, encodeSlotState(state), { qos: 1, retain: true });
    acked.then(
      () => {
        if (this.unacked !== state) return;
        this.unacked = undefined;
        this.ackedIn = this.options.link.epoch;
      },
      () => {},
    );
    return acked;
  }
}
