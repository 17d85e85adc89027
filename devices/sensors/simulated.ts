// A simulated slot sensor: cars come and go at random (exponential times
// between changes), like a real sensor without the noise.
import { exponential, mulberry32 } from '../random.ts';
import { Sensor } from './types.ts';

export interface SimulatedSensorOptions {
  /** Mean time between changes, ms (default 20000). */
  meanMs?: number;
  /** First reading (default: at random). */
  initial?: boolean;
  seed?: number;
}

export class SimulatedSensor extends Sensor {
  readonly description: string;
  private readonly meanMs: number;
  private readonly random: () => number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private value: boolean;

  constructor(options: SimulatedSensorOptions = {}) {
    super();
    this.meanMs = options.meanMs ?? 20_000;
    this.random = mulberry32(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.value = options.initial ?? this.random() < 0.5;
    this.description = `simulated (a change every ${this.meanMs} ms on average)`;
  }

  async start(): Promise<void> {
    this.emit('reading', this.value, Date.now());
    this.schedule();
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const wait = exponential(this.random, this.meanMs);
    this.timer = setTimeout(() => {
      this.value = !this.value;
      this.emit('reading', this.value, Date.now());
      this.schedule();
    }, Math.max(1, Math.round(wait)));
  }
}
