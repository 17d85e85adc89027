// Slot sensor drivers: simulated, text lines (stdin or a file) and GPIO.
import { GpioSensor, type Bias } from './gpio.ts';
import { LineSensor } from './lines.ts';
import { SimulatedSensor } from './simulated.ts';
import type { Sensor } from './types.ts';

export { Sensor, ManualSensor, type SensorEvents } from './types.ts';
export { LineSensor, parseReading } from './lines.ts';
export { SimulatedSensor, type SimulatedSensorOptions } from './simulated.ts';
export { GpioSensor, GpioUnavailableError, gpioPin, GPIO_PACKAGE, GPIO_PACKAGE_VERSION, type GpioModule, type GpioSensorOptions, type Bias } from './gpio.ts';

/** Where a slot publisher reads its sensor (`--sensor`). */
export type SensorSpec = { kind: 'sim' } | { kind: 'stdin' } | { kind: 'file'; path: string } | { kind: 'gpio'; line: string };

export interface SensorExtras {
  /** Simulated: mean time between changes, ms. */
  simMeanMs?: number;
  /** GPIO: occupied when the line is low (default true). */
  activeLow?: boolean;
  bias?: Bias;
}

export function createSensor(spec: SensorSpec, extras: SensorExtras = {}): Sensor {
  switch (spec.kind) {
    case 'sim':
      return new SimulatedSensor({ meanMs: extras.simMeanMs });
    case 'stdin':
      return LineSensor.stdin();
    case 'file':
      return LineSensor.file(spec.path);
    case 'gpio':
      return new GpioSensor({ line: spec.line, activeLow: extras.activeLow, bias: extras.bias });
  }
}
