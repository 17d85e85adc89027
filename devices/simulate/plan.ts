// The layout of a simulated fleet: lots, levels, slots and gates, with names.

export interface LevelPlan {
  level: string;
  slots: string[];
}

export interface LotPlan {
  lot: string;
  levels: LevelPlan[];
  gates: string[];
}

export interface FleetShape {
  /** A count (`sim-1`, `sim-2`, ...: never a real lot's name, so a simulation cannot overwrite a real sensor's slot) or the names. */
  lots?: number | readonly string[];
  /** Per lot: a count (`B1`, `B2`, ...) or the names. */
  levels?: number | readonly string[];
  slotsPerLevel?: number;
  /** Gates per lot: a count (`north`, `south`, `east`, `west`, `gate-5`, ...) or the names. */
  gates?: number | readonly string[];
}

const GATE_NAMES = ['north', 'south', 'east', 'west'];

const names = (spec: number | readonly string[], make: (i: number) => string): string[] =>
  typeof spec === 'number' ? Array.from({ length: spec }, (_, i) => make(i)) : [...spec];

export function planFleet(shape: FleetShape = {}): LotPlan[] {
  const slots = shape.slotsPerLevel ?? 26;
  const width = String(slots).length < 2 ? 2 : String(slots).length;
  const levels = names(shape.levels ?? 2, (i) => `B${i + 1}`);
  const gates = names(shape.gates ?? 2, (i) => GATE_NAMES[i] ?? `gate-${i + 1}`);
  return names(shape.lots ?? 1, (i) => `sim-${i + 1}`).map((lot) => ({
    lot,
    levels: levels.map((level) => ({ level, slots: Array.from({ length: slots }, (_, i) => String(i + 1).padStart(width, '0')) })),
    gates: [...gates],
  }));
}

export const capacityOf = (plan: LotPlan): number => plan.levels.reduce((sum, level) => sum + level.slots.length, 0);
