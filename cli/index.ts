export { main } from './parking.ts';
export { run, createProgram, reportError } from './program.ts';
export { processContext, defaultComponents, type CliContext, type Components, type TextSink, type ReplicaSetStandIn, type TestbedMongoModule } from './context.ts';
export { createShutdown, type Shutdown, type ShutdownOptions, type SignalSource, type ShutdownSignal, type Cleanup } from './shutdown.ts';
export { useSettings, validatedOption, requiredOption, flagParser, type SettingOptions, type SettingsLoader } from './settings.ts';
export { examples } from './command.ts';
export { commandLogger } from './logger.ts';
export { EXIT, UsageError } from './errors.ts';
export { COMMANDS, parseSensor, type SensorSpec } from './commands/index.ts';
