// The external contract (CONTRACT.md) as code: topics, ids and payload
// codecs, shared by devices, brokers, ingest and billing. Pure, no I/O.
export * from './ids.ts';
export * from './topics.ts';
export * from './slot.ts';
export * from './gate.ts';
export * from './availability.ts';
