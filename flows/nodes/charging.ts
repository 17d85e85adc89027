// parking-charging: gate events in (from mqtt in), gate displays out (to mqtt out).
// Each event is recorded and applied to the sessions exactly once (billing/store.ts),
// retried through MongoDB failovers; events of one car at one lot are applied in order.
import { Billing, RetryAborted, type ApplyResult } from '../../billing/index.ts';
import { Topics } from '../../contract/index.ts';
import { displayMessage, gateEventFromMessage, GateMessageError, sessionMessage } from './gate-message.ts';
import { KeyedQueue } from './keyed-queue.ts';
import type { MongodbNode } from './mongodb.ts';
import { onClose, unsetEnv, type Node, type NodeAPI, type NodeDef } from './red.ts';
import type { TariffNode } from './tariff.ts';

export interface ChargingDef extends NodeDef {
  /** Id of the parking-mongodb node. */
  mongodb: string;
  /** Id of the parking-tariff node. */
  tariff: string;
  /** First level(s) of the topics; default `parking`. */
  topicRoot?: string;
  /** Send the display again when an event repeats (default: only the first time). */
  repeatDisplay?: boolean | string;
}

/** Most distinct (cause, topic) pairs of bad events remembered for "log once". */
const LOGGED_LIMIT = 1000;
/** Longest wait for events in flight when the node stops, ms. */
const CLOSE_WAIT_MS = 5000;

export function registerCharging(RED: NodeAPI): void {
  RED.nodes.registerType<ChargingDef, Node>('parking-charging', function (def) {
    RED.nodes.createNode(this, def);
    chargingNode(RED, this, def);
  });
}

function chargingNode(RED: NodeAPI, node: Node, def: ChargingDef): void {
  const mongo = RED.nodes.getNode(def.mongodb) as MongodbNode | null;
  const tariffs = RED.nodes.getNode(def.tariff) as TariffNode | null;
  const topics = new Topics(unsetEnv(def.topicRoot) ? 'parking' : (def.topicRoot ?? '').trim() || 'parking');
  const repeatDisplay = def.repeatDisplay === true || def.repeatDisplay === 'true';
  const queue = new KeyedQueue();
  const stop = new AbortController();
  const counts = { applied: 0, repeats: 0, rejected: 0 };
  const logged = new Set<string>();
  let last = '';
  let retrying = false;
  let connected = false;

  const show = () => {
    const tail = `${counts.applied} applied${counts.repeats ? `, ${counts.repeats} repeats` : ''}${counts.rejected ? `, ${counts.rejected} rejected` : ''}`;
    if (retrying) node.status({ fill: 'yellow', shape: 'ring', text: `MongoDB not writable: retrying (${queue.size} waiting); ${tail}` });
    else if (!connected && queue.size) node.status({ fill: 'yellow', shape: 'ring', text: `waiting for MongoDB ${mongo?.hosts ?? ''} (${queue.size} waiting)` });
    else node.status({ fill: 'green', shape: 'dot', text: `${last ? `${last}; ` : ''}${tail}` });
  };

  const problem = !mongo ? 'no MongoDB connection (parking-mongodb) configured' : !tariffs ? 'no tariff (parking-tariff) configured' : undefined;
  if (problem) node.status({ fill: 'red', shape: 'ring', text: problem });
  else show();

  // Events wait for MongoDB as long as the node runs: an outage delays them, never drops them.
  let billing: Promise<Billing> | undefined;
  const getBilling = () =>
    (billing ??= mongo!.collections().then(
      (collections) => {
        connected = true;
        return new Billing(collections, {
          retry: { deadlineMs: Number.POSITIVE_INFINITY, maxDelayMs: 5000 },
          onRetry: () => {
            retrying = true;
            show();
          },
        });
      },
      (err: Error) => {
        billing = undefined;
        throw err;
      },
    ));

  node.on('input', (msg, send, done) => {
    if (problem) return done(new Error(problem));
    const tariff = tariffs!.tariff;
    if (!tariff) return done(new Error(`tariff not usable: ${tariffs!.problem ?? 'unknown problem'}`));
    let ev;
    try {
      ev = gateEventFromMessage(msg, topics, Date.now());
    } catch (err) {
      if (!(err instanceof GateMessageError)) return done(err as Error);
      counts.rejected += 1;
      show();
      const key = `${err.reason} ${String(msg.topic)}`;
      if (logged.has(key)) {
        node.debug(err.message);
        return done();
      }
      if (logged.size < LOGGED_LIMIT) logged.add(key);
      return done(err);
    }
    const event = ev;
    if (!connected) setImmediate(show);
    queue
      .run(`${event.lot}/${event.carId}`, async () => (await getBilling()).apply(event, tariff, stop.signal))
      .then((result: ApplyResult) => {
        retrying = false;
        if (result.duplicate) counts.repeats += 1;
        else counts.applied += 1;
        last = result.display.text.replace(/\s+/g, ' ');
        show();
        const display = !result.duplicate || repeatDisplay ? { ...msg, ...displayMessage(topics, event, result) } : null;
        send([display, sessionMessage(topics, event, result)]);
        done();
      })
      .catch((err: Error) => {
        if (err instanceof RetryAborted) return done(new Error(`stopped before gate event ${event.eventId} was applied: ${err.lastError instanceof Error ? err.lastError.message : String(err.lastError)}`));
        done(new Error(`gate event ${event.eventId} (${event.direction} ${event.carId} at ${event.lot}) not applied: ${err.message}`));
      });
  });

  onClose(node, async () => {
    const drained = queue.idle();
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([drained.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
    // Events still waiting for MongoDB stop now; they stay recorded or unrecorded, never half-applied.
    stop.abort();
    if (!waited) await drained;
  });
}
