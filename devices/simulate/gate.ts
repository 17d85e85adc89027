// Simulated traffic through one gate: cars enter and, after their stay, exit
// through the same gate (a lot with one gate and room for everyone).
import type { GateReader } from '../gate.ts';
import { mulberry32 } from '../random.ts';
import { LotModel, type TrafficOptions } from './model.ts';

export interface GateTrafficOptions extends TrafficOptions {
  seed?: number;
  /** Each event as it is published. */
  onEvent?: (direction: 'entry' | 'exit', carId: string) => void;
}

export function simulateGate(reader: GateReader, lot: string, gate: string, options: GateTrafficOptions = {}): { stop(): void } {
  const random = mulberry32(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const plan = { lot, levels: [{ level: 'all', slots: Array.from({ length: 10_000 }, (_, i) => String(i)) }], gates: [gate] };
  const model = new LotModel(plan, options, random, Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    for (const action of model.advance(Date.now())) {
      if (action.kind !== 'gate') continue;
      reader.event(action.direction, action.carId);
      options.onEvent?.(action.direction, action.carId);
    }
    const due = model.nextDue();
    if (due !== undefined) timer = setTimeout(tick, Math.max(0, due - Date.now()));
  };
  tick();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
