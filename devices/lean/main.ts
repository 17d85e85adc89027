// The lean device build's entry: `parking device` and `parking gate` alone, with only
// what a Pi needs (MQTT, the link, the contract, the sensors). devices/lean/build.ts
// bundles it into one JavaScript file; docs/deploy.md.
import { mainWith } from '../../cli/main.ts';
import { registerDevice } from '../../cli/commands/device.ts';
import { registerGate } from '../../cli/commands/gate.ts';

await mainWith(process.argv.slice(2), [registerDevice, registerGate]);
