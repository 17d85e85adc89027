// One system call per socket per event-loop turn. MQTT.js and Aedes write each
// packet on its own (corked only until process.nextTick), so a broker fanning
// out a burst, or a client acknowledging one, makes one write(2) per packet:
// on a small machine those calls were the largest single cost of a broker.
// A coalesced socket stays corked from its first write in a turn until
// setImmediate, which runs in the same turn right after the I/O callbacks, so
// a packet waits microseconds, not a timer tick. One setImmediate flushes
// every socket corked in the turn (a heartbeat fans out to thousands).
// Used on every client connection of a broker and on the standby's bridge.
// A client link writes a few packets a turn and gained nothing measurable
// from it (ingest at 2,000 updates/s), so clients are left as they are.
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';

const COALESCED = Symbol('coalesced');

type Coalescible = Writable & { [COALESCED]?: true };

/** Flushes of the sockets corked in this turn, run together by one setImmediate. */
const corkedThisTurn: Array<() => void> = [];
let flushScheduled = false;
let corkedSince = 0;

/**
 * A turn's I/O callbacks may run long: in a reconnect storm one poll phase reads thousands of
 * sockets. What was written early in it leaves once it has waited this long, or once this many
 * sockets are corked, rather than at the end of the phase: otherwise every CONNACK and PUBACK of
 * the storm would leave together, after the last one is made.
 */
const MAX_CORK_MS = 2;
const MAX_CORKED = 256;

function flushTurn(): void {
  flushScheduled = false;
  for (const flush of corkedThisTurn.splice(0)) flush();
}

function later(flush: () => void): void {
  if (flushScheduled && (corkedThisTurn.length >= MAX_CORKED || performance.now() - corkedSince >= MAX_CORK_MS)) flushTurn();
  corkedThisTurn.push(flush);
  if (!flushScheduled) {
    flushScheduled = true;
    corkedSince = performance.now();
    setImmediate(flushTurn);
  }
}

/**
 * Makes every write to a TCP or TLS socket in one event-loop turn leave
 * together. Other streams (a WebSocket's) are left as they are, as is a socket
 * already coalesced. A stream writing into a coalesced socket must pass its
 * buffered chunks on together and call back when the socket accepts them
 * (passOn below): one that waits for each write to complete gets one chunk
 * out per turn.
 */
export function coalesceWrites(stream: Writable): void {
  const target = stream as Coalescible;
  if (!(stream instanceof Socket) || target[COALESCED]) return;
  target[COALESCED] = true;
  let corked = false;
  const flush = () => {
    if (!corked) return;
    corked = false;
    stream.uncork();
  };
  const write = stream.write;
  stream.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (!corked && !stream.destroyed && !stream.writableEnded) {
      corked = true;
      stream.cork();
      later(flush);
    }
    return write.apply(this, args);
  } as Socket['write'];
  // A packet written just before destroy (a refusing CONNACK, a last PUBACK) still leaves.
  const destroy = stream.destroy;
  stream.destroy = function (this: Socket, ...args: Parameters<Socket['destroy']>) {
    flush();
    return destroy.apply(this, args);
  } as Socket['destroy'];
}

/**
 * Writes `chunks` to `target` and calls back at once, or on 'drain' when its
 * buffer is full. Calling back on the write's own completion instead would
 * hold everything written meanwhile until the socket has flushed: with a
 * coalesced socket, to the next event-loop turn.
 */
export function passOn(target: Writable, chunks: Buffer[], callback: (error?: Error | null) => void): void {
  let room = true;
  for (const chunk of chunks) room = target.write(chunk);
  if (room || target.destroyed) return callback();
  const done = () => {
    target.off('drain', done);
    target.off('close', done);
    callback();
  };
  target.on('drain', done);
  target.on('close', done);
}
