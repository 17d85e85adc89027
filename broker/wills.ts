// Aedes looks for the Last Wills of dead brokers every 4 heartbeats (a cluster's members share
// the wills in Redis) and publishes those of every broker it has not heard for 3 heartbeats. It
// hears its own heartbeat through its own message bus like any other, so with our 100 ms
// heartbeat a stop of its event loop over 300 ms (a broker taking a fleet) made it count itself
// dead and publish the will of every client it served: each device "offline" while online, and
// its will gone when it really died later. A peer heard within the last `graceMs` counts as alive
// here, and the broker itself always does: its own clients' wills are published when their
// connections end (Aedes' client close), never by the sweep. test/broker/wills.test.ts.

interface WillSweep {
  setup(broker: { id: string }): Promise<unknown>;
  streamWill(brokers?: Record<string, number>): unknown;
}

/** Makes `persistence` (an Aedes persistence) sweep only the wills of brokers dead for `graceMs`, never its own broker's. */
export function guardWillSweep<P>(persistence: P, graceMs = 10_000, now: () => number = Date.now): P {
  const p = persistence as unknown as WillSweep;
  const setup = p.setup.bind(p);
  const streamWill = p.streamWill.bind(p);
  const seen = new Map<string, number>();
  let own: string | undefined;
  // Aedes requires an async function here.
  p.setup = async (broker) => {
    own = broker.id;
    return setup(broker);
  };
  p.streamWill = (brokers = {}) => {
    const t = now();
    for (const id of Object.keys(brokers)) seen.set(id, t);
    const alive: Record<string, number> = { ...brokers };
    for (const [id, at] of seen) {
      if (t - at <= graceMs) alive[id] ??= at;
      else seen.delete(id);
    }
    if (own !== undefined) alive[own] = t;
    return streamWill(alive);
  };
  return persistence;
}
