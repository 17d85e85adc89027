// The node flags a broker process runs with: the systemd unit's broker instances give them
// (deploy/env/broker-*.env, PARKING_NODE_FLAGS), and so does every broker our drills, benches
// and tests start as a process of its own (proc/part.ts), so what they measure is what a site runs.
/**
 * `--no-memory-reducer`: V8's memory reducer, once allocation slows, runs a full compacting
 * collection to give memory back. At 10,000 connections its pause was 160 ms of a 251 ms stop
 * of the primary's event loop in steady traffic (`--trace-gc` in the fleet drill, docs/broker.md),
 * and a device with a publish in flight leaves a broker silent for 300 ms. The ordinary
 * collections paused 20-60 ms. Without it the heap is not given back after a peak: the broker's
 * RSS stays near its highest (442 MiB at 10,000 devices, against 1 GB allowed).
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];
