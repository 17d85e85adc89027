// The failover-aware MQTT link used by devices, gates, ingest, signage and drills.
export {
  FailoverLink,
  connectLink,
  LinkClosedError,
  type LinkOptions,
  type LinkWill,
  type LinkLogger,
  type LinkStats,
  type LinkTotals,
  type LinkEvents,
  type PublishOptions,
  type SwitchReason,
  type FailoverRecord,
  type Liveness,
} from './client.ts';
export { RoundTrip, ackDeadline, AckWatch } from './liveness.ts';
export { ServerRotation, roleOf, type Role, type BackoffOptions, type NextAttempt } from './policy.ts';
export { Outbox, OutboxFullError, type OutboxEntry, type QoS } from './outbox.ts';
export { probeBroker, HEARTBEAT_FILTER, type ProbeOptions, type ProbeResult } from './probe.ts';
export { Watchdog } from './watchdog.ts';
export { topicMatches, publishTopicProblem, filterProblem } from './topic.ts';
export { clientIdFor, MAX_CLIENT_ID } from './clientid.ts';
export { spareClientId, isSpareClientId, DEVICE_KEEPALIVE_SEC, SERVICE_KEEPALIVE_SEC } from './options.ts';
export { linkOptionsFrom, type LinkSettings } from './settings.ts';
