// The node flags of the lean device build, as the systemd unit gives them (test/devices/lean.test.ts checks the unit).
/**
 * What the systemd unit gives node (deploy/parking-device.service): a small young generation,
 * and V8's lite mode (no optimising compiler: a device publishes a few messages a minute; lite
 * mode turns WebAssembly off, and saying so first keeps node from warning about it at each start).
 */
export const NODE_FLAGS = ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm'];
