// Failing over a few links at a time. A process that holds many links (the
// simulator, the fleet drill, a gateway for several sensors) loses them all in
// one turn of its event loop when their broker dies. Moving every one of them
// within that turn (onto its spare, or to a new connection) would keep the
// process from reading anything, the first links' acknowledgements included,
// until the last one has moved: each link would wait for all the others. Here
// at most BATCH moves run per turn, and what the sockets brought in is read
// in between. A process with one link pays one setImmediate.

const BATCH = 16;
let queue: Array<() => void> = [];
let head = 0;
let scheduled = false;

/** Runs `move` soon: in this turn's check phase, or a later one when many are waiting. */
export function paced(move: () => void): void {
  queue.push(move);
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
}

function drain(): void {
  const end = Math.min(queue.length, head + BATCH);
  try {
    while (head < end) {
      const move = queue[head];
      head += 1;
      move();
    }
  } finally {
    if (head < queue.length) setImmediate(drain);
    else {
      queue = [];
      head = 0;
      scheduled = false;
    }
  }
}
