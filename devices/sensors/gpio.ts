// A digital input on a Raspberry Pi GPIO line, through the Linux GPIO
// character device (v2 uAPI). The driver library is loaded only when a GPIO
// sensor starts, so the rest of the platform installs and runs anywhere.
import { existsSync } from 'node:fs';
import { Sensor } from './types.ts';

/** The npm package that drives the GPIO character device (prebuilt for arm and arm64). */
export const GPIO_PACKAGE = '@iiot2k/gpiox';
export const GPIO_PACKAGE_VERSION = '2.1.4';

/** The part of @iiot2k/gpiox this driver uses. */
export interface GpioModule {
  GPIO_MODE_INPUT_NOPULL: number;
  GPIO_MODE_INPUT_PULLDOWN: number;
  GPIO_MODE_INPUT_PULLUP: number;
  GPIO_EDGE_BOTH: number;
  watch_gpio(pin: number, mode: number, debounceUs: number, edge: number, callback: (state: number, edge: number, pin: number) => void): number | undefined;
  deinit_gpio(pin: number): boolean | undefined;
  error_text?(): string;
}

export type Bias = 'pull-up' | 'pull-down' | 'none';

export interface GpioSensorOptions {
  /** BCM GPIO number, 2-27 (e.g. `17` for header pin 11). */
  line: string;
  /** Occupied when the line is low (default true: a detector output pulling to ground, with the pull-up on). */
  activeLow?: boolean;
  /** Default: pull-up when active low, pull-down when active high. */
  bias?: Bias;
  /** Glitch filter in the kernel, microseconds (default 10000); debouncing proper is the device's hold time. */
  glitchUs?: number;
  /** Replaceable for tests. */
  load?: () => Promise<GpioModule>;
  host?: { platform: string; arch: string; hasGpioChip: () => boolean };
}

export class GpioUnavailableError extends Error {
  override readonly name = 'GpioUnavailableError';
}

const defaultHost = { platform: process.platform, arch: process.arch, hasGpioChip: () => existsSync('/dev/gpiochip0') };

async function loadGpiox(): Promise<GpioModule> {
  const name = GPIO_PACKAGE;
  try {
    const mod = (await import(name)) as { default?: GpioModule } & Partial<GpioModule>;
    const api = (mod.default ?? mod) as GpioModule;
    if (typeof api?.watch_gpio !== 'function') throw new Error('its driver did not load for this platform');
    return api;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new GpioUnavailableError(`the GPIO library is not installed: run npm install ${GPIO_PACKAGE}@${GPIO_PACKAGE_VERSION} (prebuilt for Raspberry Pi OS, arm and arm64)`);
    }
    throw new GpioUnavailableError(`the GPIO library ${GPIO_PACKAGE} failed to load: ${(error as Error).message}`);
  }
}

/** The BCM number of `line`, or a reason it is not one. */
export function gpioPin(line: string): number {
  const pin = /^\d{1,2}$/.test(line) ? Number(line) : NaN;
  if (!(pin >= 2 && pin <= 27)) throw new GpioUnavailableError(`gpio:${line}: give the BCM GPIO number 2-27 (e.g. gpio:17 for header pin 11)`);
  return pin;
}

export class GpioSensor extends Sensor {
  readonly description: string;
  private readonly activeLow: boolean;
  private readonly bias: Bias;
  private gpio: GpioModule | undefined;
  private pin: number | undefined;

  constructor(private readonly options: GpioSensorOptions) {
    super();
    this.activeLow = options.activeLow ?? true;
    this.bias = options.bias ?? (this.activeLow ? 'pull-up' : 'pull-down');
    this.description = `gpio:${options.line} (active ${this.activeLow ? 'low' : 'high'}, ${this.bias})`;
  }

  async start(): Promise<void> {
    const host = this.options.host ?? defaultHost;
    if (host.platform !== 'linux' || (host.arch !== 'arm64' && host.arch !== 'arm')) {
      throw new GpioUnavailableError(`GPIO sensors need a Raspberry Pi running Linux; this is ${host.platform}/${host.arch} (use --sensor sim or --sensor stdin here)`);
    }
    if (!host.hasGpioChip()) {
      throw new GpioUnavailableError('no GPIO character device /dev/gpiochip0: not a Raspberry Pi, or this user lacks access (add it to the gpio group)');
    }
    const pin = gpioPin(this.options.line);
    const gpio = await (this.options.load ?? loadGpiox)();
    const mode = this.bias === 'pull-up' ? gpio.GPIO_MODE_INPUT_PULLUP : this.bias === 'pull-down' ? gpio.GPIO_MODE_INPUT_PULLDOWN : gpio.GPIO_MODE_INPUT_NOPULL;
    const state = gpio.watch_gpio(pin, mode, this.options.glitchUs ?? 10_000, gpio.GPIO_EDGE_BOTH, (value) => {
      this.emit('reading', this.occupied(value), Date.now());
    });
    if (state === undefined) throw new GpioUnavailableError(`gpio:${pin}: ${gpio.error_text?.() || 'the line could not be requested'}`);
    this.gpio = gpio;
    this.pin = pin;
    this.emit('reading', this.occupied(state), Date.now());
  }

  async close(): Promise<void> {
    if (this.gpio && this.pin !== undefined) this.gpio.deinit_gpio(this.pin);
    this.gpio = undefined;
  }

  private occupied(value: number): boolean {
    return this.activeLow ? value === 0 : value !== 0;
  }
}
