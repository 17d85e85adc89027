import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerAccounts } from './accounts.ts';
import { registerBench } from './bench.ts';
import { registerBroker } from './broker.ts';
import { registerDevice } from './device.ts';
import { registerDrill } from './drill.ts';
import { registerFleet } from './fleet.ts';
import { registerFlows } from './flows.ts';
import { registerGate } from './gate.ts';
import { registerIngest } from './ingest.ts';
import { registerPlates } from './plates.ts';
import { registerSignage } from './signage.ts';
import { registerSimulate } from './simulate.ts';
import { registerStart } from './start.ts';
import { registerTestbed } from './testbed.ts';

export { parseSensor, type SensorSpec } from './device.ts';

/** Every command, in the order --help lists them. */
export const COMMANDS: ReadonlyArray<(program: Command, ctx: CliContext) => void> = [
  registerStart,
  registerBroker,
  registerAccounts,
  registerIngest,
  registerFlows,
  registerDevice,
  registerGate,
  registerSimulate,
  registerFleet,
  registerSignage,
  registerPlates,
  registerDrill,
  registerBench,
  registerTestbed,
];
