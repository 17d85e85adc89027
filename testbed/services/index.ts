// Real Mosquitto and Redis processes on free ports, for tests and drills.
export { freePort, canConnect } from './port.ts';
export { MissingBinaryError, findBinary, resolveBinary, binaryEnvVar } from './binary.ts';
export {
  launchService,
  killAllServices,
  ServiceStartError,
  type ServiceHandle,
  type ServiceSpec,
  type ExitInfo,
} from './process.ts';
export { startMosquitto, renderMosquittoConfig, MOSQUITTO_TEMPLATE, type MosquittoOptions, type RenderOptions } from './mosquitto.ts';
export { startRedis, type RedisOptions } from './redis.ts';
export {
  probeMqtt,
  probeRedis,
  mqttConnectPacket,
  parseConnack,
  encodeRemainingLength,
  exchange,
  MQTT_DISCONNECT,
  type Connack,
} from './probe.ts';
export type { ServiceLogger, LogFn } from './logger.ts';
