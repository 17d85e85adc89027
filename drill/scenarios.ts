// The drill's scenarios and the plan of runs. Pure.

export const SCENARIOS = ['broker-planned', 'broker-crash', 'broker-partition', 'db-stepdown', 'db-kill', 'db-election', 'redis-loss'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const LINKS = ['wired', 'wireless'] as const;
export type LinkName = (typeof LINKS)[number];

/** What a scenario breaks: a broker (the field link moves), the database, or a broker's Redis. */
export type FaultTarget = 'broker' | 'db' | 'redis';

/** Planned: an operator chose the moment (maintenance). Unplanned: a failure. */
export type FaultClass = 'planned' | 'unplanned';

export interface ScenarioInfo {
  name: ScenarioName;
  target: FaultTarget;
  class: FaultClass;
  /** What the drill does, for the report. */
  fault: string;
  /** What `failoverMs` measures in this scenario. */
  measures: string;
}

const DEVICES = 'first PUBACK from the standby for every device that was on the primary';

export const SCENARIO_INFO: Readonly<Record<ScenarioName, ScenarioInfo>> = {
  'broker-planned': {
    name: 'broker-planned',
    target: 'broker',
    class: 'planned',
    fault: 'SIGTERM to the primary broker (graceful switchover: it announces the stop, devices move, then it stops)',
    measures: `the longest a device's publishing was interrupted: its ${DEVICES.replace(' for every device that was on the primary', '')} for a publish that waited for the switch, 0 when none did (moved: when the last device was on the standby)`,
  },
  'broker-crash': { name: 'broker-crash', target: 'broker', class: 'unplanned', fault: 'SIGKILL to the primary broker', measures: DEVICES },
  'broker-partition': { name: 'broker-partition', target: 'broker', class: 'unplanned', fault: 'the field link to the primary broker is cut (link proxy partition: no FIN, no RST)', measures: DEVICES },
  'db-stepdown': { name: 'db-stepdown', target: 'db', class: 'planned', fault: 'MongoDB primary steps down (election handoff)', measures: 'first majority write acknowledged after the fault' },
  'db-kill': { name: 'db-kill', target: 'db', class: 'unplanned', fault: 'MongoDB primary killed', measures: 'first majority write acknowledged after the fault' },
  'db-election': { name: 'db-election', target: 'db', class: 'unplanned', fault: 'MongoDB primary steps down without handoff (a full election)', measures: 'first majority write acknowledged after the fault' },
  'redis-loss': { name: 'redis-loss', target: 'redis', class: 'unplanned', fault: "SIGKILL to the primary broker's Redis", measures: DEVICES },
};

/** Scenarios run by default: all but redis-loss, which needs brokers on Redis (`--redis`). */
export function defaultScenarios(redis: boolean): ScenarioName[] {
  return SCENARIOS.filter((name) => redis || name !== 'redis-loss');
}

export interface PlannedRun {
  scenario: ScenarioName;
  link: LinkName;
  /** 1-based, within its scenario and link. */
  run: number;
}

/**
 * The runs in order: scenario by scenario, link by link, `runs` each. Broker faults run over
 * every link; database and Redis faults are not on the field link, so they run over the first
 * link only.
 */
export function planRuns(scenarios: readonly ScenarioName[], links: readonly LinkName[], runs: number): PlannedRun[] {
  if (links.length === 0) throw new Error('at least one link profile is needed');
  const out: PlannedRun[] = [];
  for (const scenario of scenarios) {
    const over = SCENARIO_INFO[scenario].target === 'broker' ? links : links.slice(0, 1);
    for (const link of over) for (let run = 1; run <= runs; run += 1) out.push({ scenario, link, run });
  }
  return out;
}

/** Parses `a,b,c` into known scenario names (in the order given, no repeats). */
export function parseScenarioList(raw: string): ScenarioName[] {
  return parseList(raw, SCENARIOS, 'scenario');
}

/** Parses `wired,wireless`. */
export function parseLinkList(raw: string): LinkName[] {
  return parseList(raw, LINKS, 'link profile');
}

function parseList<T extends string>(raw: string, known: readonly T[], what: string): T[] {
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw new Error(`must be a comma-separated list of ${known.join(', ')}`);
  const out: T[] = [];
  for (const item of items) {
    if (!(known as readonly string[]).includes(item)) throw new Error(`unknown ${what} '${item}': use ${known.join(', ')}`);
    if (!out.includes(item as T)) out.push(item as T);
  }
  return out;
}
