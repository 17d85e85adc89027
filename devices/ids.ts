// Device ids and MQTT client ids of devices.
import { idProblem } from '../contract/index.ts';

export class DeviceIdError extends Error {
  override readonly name = 'DeviceIdError';
}

/** `<lot>-<level>-<slot>`, the default id of a slot device; throws when it would not be a valid id. */
export function slotDeviceId(lot: string, level: string, slot: string): string {
  return checkedId(`${lot}-${level}-${slot}`);
}

/** `<lot>-gate-<gate>`, the default id of a gate reader's status. */
export function gateDeviceId(lot: string, gate: string): string {
  return checkedId(`${lot}-gate-${gate}`);
}

function checkedId(id: string): string {
  const problem = idProblem('device id', id);
  if (problem) throw new DeviceIdError(`${problem}: give one with --device`);
  return id;
}
