export { startSimulation, LOT_SIMULATOR_DEVICE, type SimulationOptions, type Simulation, type SimulationStats } from './run.ts';
export { LotModel, randomPlate, type SimAction, type TrafficOptions, type LotModelStats } from './model.ts';
export { planFleet, capacityOf, type FleetShape, type LotPlan, type LevelPlan } from './plan.ts';
export { simulateGate, type GateTrafficOptions } from './gate.ts';
