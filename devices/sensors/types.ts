// What a slot sensor driver provides: readings (occupied or not) as events.
import { EventEmitter } from 'node:events';

export interface SensorEvents {
  /** A raw reading, not debounced. `at`: when it was read (epoch ms). */
  reading: [occupied: boolean, at: number];
  /** The input ended (end of stdin or file): no more readings. */
  end: [];
  /** A reading that could not be understood, or a driver problem it survives. */
  warning: [message: string];
  /** The driver cannot go on. */
  failure: [error: Error];
}

export abstract class Sensor extends EventEmitter<SensorEvents> {
  /** Short description for logs, e.g. `gpio:17 (active low)`. */
  abstract readonly description: string;
  /** Starts reading; rejects when the sensor cannot be opened. */
  abstract start(): Promise<void>;
  abstract close(): Promise<void>;
}

/** Driven by code: the simulator and tests call `set()`. */
export class ManualSensor extends Sensor {
  readonly description = 'manual';
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  set(occupied: boolean, at: number = Date.now()): void {
    this.emit('reading', occupied, at);
  }
  end(): void {
    this.emit('end');
  }
}
