// Field devices and their stand-ins: slot sensors (GPIO, stdin/file,
// simulated), the slot publisher, gate readers, the simulated fleet and the
// terminal signage. Everything publishes over the failover link (link/).
export { startSlotDevice, announceStatus, type SlotDevice, type SlotDeviceOptions, type DeviceLogger } from './device.ts';
export { SlotPublisher, type SlotPublisherOptions, type SlotAddress, type SeqSource } from './slot.ts';
export { GateReader, startGateDevice, parseGateLine, parseDisplay, type GateDevice, type GateDeviceOptions, type GateReaderOptions, type DisplayMessage } from './gate.ts';
export { Debouncer, realScheduler, type Scheduler } from './debounce.ts';
export { SeqCounter, type SeqOptions } from './seq.ts';
export { slotDeviceId, gateDeviceId, DeviceIdError } from './ids.ts';
export { mulberry32 } from './random.ts';
export * from './sensors/index.ts';
export { simulateGate, type GateTrafficOptions } from './simulate/index.ts';
export { startSimulation, LotModel, planFleet, capacityOf, randomPlate, LOT_SIMULATOR_DEVICE, type SimulationOptions, type Simulation, type SimulationStats, type SimAction, type TrafficOptions, type FleetShape, type LotPlan, type LevelPlan, type LotModelStats } from './simulate/index.ts';
export { startSignage, SignageState, renderLine, renderScreen, type Signage, type SignageOptions, type SignageOutput, type SignageView, type LevelView } from './signage/index.ts';
