// The Node-RED package of the parking nodes: its build and its example flows.
export { buildNodeRedPackage, NODE_RED_DIST, NODE_RED_PACKAGE, type BuiltPackage } from './build.ts';
export { chargingExample, reportExample, exampleEnv, type Example, type FlowNode } from './examples.ts';
