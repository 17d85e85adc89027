// The parking nodes for Node-RED, registered by their node files (parking-*.cjs).
export { registerMongodb, connectionString, plateKeyOf, retentionDays, type MongodbDef, type MongodbNode } from './mongodb.ts';
export { registerTariff, tariffFromDef, deployedTariff, type TariffDef, type TariffNode } from './tariff.ts';
export { registerCharging, type ChargingDef } from './charging.ts';
export { registerReport, reportParameters, type ReportDef } from './report.ts';
export { registerMqttFailover, parseUrls, DEFAULT_AFTER_MS, type FailoverDef } from './failover.ts';
export { registerMqttOut, MAX_HELD, HOLD_MS, type MqttOutDef } from './mqtt-out.ts';
export { registerAccess, operatorWidgetIds, AUDIENCE, type AccessPolicy } from './access.ts';
export { FailoverPolicy, linkState, type LinkState } from './failover-policy.ts';
export { gateEventFromMessage, displayMessage, sessionMessage, GateMessageError } from './gate-message.ts';
export { KeyedQueue } from '../../billing/keyed-queue.ts';
export type { NodeAPI, Node, NodeDef, NodeMessage } from './red.ts';
