// The fleet drill: broker faults with a fleet of device links in their own processes.
export { FleetWorker, type FleetWorkerOptions, type FleetReport, type FleetStats } from './worker.ts';
export { FLEET_LOT, FLEET_SECRET_ENV, fleetDevice, fleetToken, fleetAccounts, type FleetDevice } from './devices.ts';
export { runFleetDrill, idleWarmupMs, FLEET_SCENARIOS, PROXY_MAX_DEVICES, type FleetDrillOptions, type FleetDrillResult, type FleetRun, type FleetScenario } from './run.ts';
export { FLEET_NICE, fleetProcesses, partNodeFlags } from './stack.ts';
export { renderFleetReport, fleetTargets, summarizeFleet, type FleetTarget, type ScenarioSummary } from './report.ts';
