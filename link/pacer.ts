// Failing over a few links at a time. A process that holds many links (the
// simulator, the fleet drill, a gateway for several sensors) loses them all in
// one turn of its event loop when their broker dies. Moving every one of them
// within that turn (onto its spare, or to a new connection) would keep the
// process from reading anything, the first links' acknowledgements included,
// until the last one has moved: each link would wait for all the others. Here
// at most BATCH moves run per turn, and what the sockets brought in is read
// in between. A process with one link pays one setImmediate. Cleanup after a
// move (closing a dead connection's client) waits until no move is left.

import { Fifo } from './fifo.ts';

const BATCH = 16;
const moves = new Fifo<() => void>();
const cleanups = new Fifo<() => void>();
let scheduled = false;

/** Runs `move` soon: in this turn's check phase, or a later one when many are waiting. */
export function paced(move: () => void): void {
  moves.push(move);
  schedule();
}

/** Runs `cleanup` once no move waits (paced as moves are). */
export function afterMoves(cleanup: () => void): void {
  cleanups.push(cleanup);
  schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(drain);
}

function drain(): void {
  scheduled = false;
  try {
    const queue = moves.length ? moves : cleanups;
    for (let n = 0; n < BATCH; n += 1) queue.shift()?.();
  } finally {
    if (moves.length || cleanups.length) schedule();
  }
}
