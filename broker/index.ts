// The MQTT broker of the platform (Aedes): primary or standby bridged to the
// primary, MQTT over TCP, WebSocket and TLS, a fast heartbeat, accounts and
// access rules per role, payload checks, retained slot states that never go
// back in time, and optional Redis persistence. See docs/broker.md.
export { startBroker, defaultBrokerId } from './server.ts';
export type { BrokerOptions, BrokerRole, BridgeOptions, TlsOptions, RunningBroker, BrokerHealth, BridgeHealth } from './types.ts';
export { hashPassword, verifyPassword, parseHash, DEFAULT_SCRYPT_COST, type ScryptCost } from './auth/password.ts';
export { newDeviceToken, hashDeviceToken, deviceTokenProblem, parseTokenHash, verifyDeviceToken, type TokenHash } from './auth/token.ts';
export { estimateBits, MIN_TOKEN_BITS } from './auth/entropy.ts';
export { AuthThrottle, type ThrottleOptions, type Bucket as ThrottleBucket } from './auth/throttle.ts';
export { loadAccounts, parseAccounts, AuthFileError, ROLES, type Account, type Accounts, type Role, type StoredPassword } from './auth/accounts.ts';
export { mayPublish, maySubscribe, isHeartbeatFilter, ANONYMOUS, type Principal } from './auth/acl.ts';
export { checkPayload, type PayloadVerdict } from './validate.ts';
export { decideRetained, type RetainedDecision } from './retained/order.ts';
export { BridgeBitSetter } from './bridge/bridge-bit.ts';
export { BRIDGE_ORIGIN } from './bridge/bridge.ts';

/** Topic filter of every broker's heartbeat: subscribe to it to notice a dead broker fast. */
export const HEARTBEAT_FILTER = '$SYS/+/heartbeat';
export { LEAVING_FILTER, leavingTopic } from './handover.ts';
