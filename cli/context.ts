import type { Environment } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import type { SignalSource } from './shutdown.ts';

export interface TextSink {
  write(text: string): unknown;
}

/** What commands read and write, so the program runs the same in a process and in a test. */
export interface CliContext {
  env: Environment;
  /** Command output: URLs, reports. */
  stdout: TextSink;
  /** Errors and logs. */
  stderr: TextSink;
  /** Where SIGINT/SIGTERM come from. */
  signals: SignalSource;
  /** Set by a command that ends with a code other than 0. */
  exitCode: number;
  /** Loaders of components built elsewhere, replaceable in tests. */
  components: Components;
}

/** The MongoDB replica-set stand-in, as `parking testbed mongo` uses it. */
export interface ReplicaSetStandIn {
  uri: string;
  close(): Promise<void>;
}

export interface TestbedMongoModule {
  startReplicaSet(options: { port: number; electionDelayMs: number | [min: number, max: number]; logger: Logger }): Promise<ReplicaSetStandIn>;
}

export interface Components {
  testbedMongo(): Promise<TestbedMongoModule>;
}

export const defaultComponents: Components = {
  testbedMongo: () => import('../testbed/mongo/index.ts'),
};

export function processContext(): CliContext {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    signals: process,
    exitCode: 0,
    components: defaultComponents,
  };
}
