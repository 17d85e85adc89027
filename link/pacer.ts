// Failing over a few links at a time. A process that holds many links (the
// simulator, the fleet drill, a gateway for several sensors) loses them all in
// one turn of its event loop when their broker dies. Moving every one of them
// within that turn (onto its spare, or to a new connection) would keep the
// process from reading anything, the first links' acknowledgements included,
// until the last one has moved: each link would wait for all the others. Here
// at most BATCH moves run per turn, and what the sockets brought in is read
// in between. A process with one link pays one setImmediate.
//
// Cleanup after a move (closing a dead connection's client) waits until no
// move has been asked for in CLEANUP_QUIET_MS: right after a fault the CPU
// goes to the moves and to reading the new broker's acknowledgements, and the
// dead clients hold nothing the links need.

import { Fifo } from './fifo.ts';

const BATCH = 16;
/** Cleanups start once no move was asked for in this long, ms. */
export const CLEANUP_QUIET_MS = 1000;
const moves = new Fifo<() => void>();
const cleanups = new Fifo<() => void>();
let scheduled = false;
let quietTimer: ReturnType<typeof setTimeout> | undefined;
let lastMoveAt = 0;

/** Runs `move` soon: in this turn's check phase, or a later one when many are waiting. */
export function paced(move: () => void): void {
  moves.push(move);
  lastMoveAt = performance.now();
  schedule();
}

/** Runs `cleanup` once no move waits and none was asked for in CLEANUP_QUIET_MS (paced as moves are). */
export function afterMoves(cleanup: () => void): void {
  cleanups.push(cleanup);
  schedule();
}

function schedule(): void {
  if (scheduled) return;
  if (!moves.length) {
    const wait = lastMoveAt + CLEANUP_QUIET_MS - performance.now();
    if (wait > 0) {
      // Cleanups only: they wait for the quiet (a move asked for meanwhile schedules at once).
      quietTimer ??= setTimeout(() => {
        quietTimer = undefined;
        if (cleanups.length) schedule();
      }, wait).unref();
      return;
    }
  }
  scheduled = true;
  setImmediate(drain);
}

function drain(): void {
  scheduled = false;
  try {
    if (moves.length) for (let n = 0; n < BATCH; n += 1) moves.shift()?.();
    else if (performance.now() - lastMoveAt >= CLEANUP_QUIET_MS) for (let n = 0; n < BATCH; n += 1) cleanups.shift()?.();
  } finally {
    if (moves.length || cleanups.length) schedule();
  }
}
