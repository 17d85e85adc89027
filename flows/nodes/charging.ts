// parking-charging: gate events in (from mqtt in), gate displays out (to mqtt out).
// The charging desk (billing/desk.ts) answers each event at once from the open sessions it
// knows, also while MongoDB elects a primary; every event is journaled, then recorded and
// applied to the sessions exactly once (billing/store.ts), retried through failovers, in
// order per car. The second output carries the session once MongoDB holds it.
import path from 'node:path';
import { Billing, ChargingDesk, EventJournal, maskPlate, RetryAborted, type ApplyResult, type GateAnswer } from '../../billing/index.ts';
import { Topics } from '../../contract/index.ts';
import { displayMessage, gateEventFromMessage, GateMessageError, sessionMessage } from './gate-message.ts';
import type { MongodbNode } from './mongodb.ts';
import { onClose, unsetEnv, type Node, type NodeAPI, type NodeDef } from './red.ts';
import { lotTariffsFromEnv, tariffForLot, type TariffNode } from './tariff.ts';

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
/** Longest wait for MongoDB to take the events answered so far when the node stops, ms (the rest stays in the journal). */
const CLOSE_WAIT_MS = 2000;
/** Deadline of reading the open sessions at start (a secondary will do), ms; retried until it works. */
const SEED_TIMEOUT_MS = 5000;

export function registerCharging(RED: NodeAPI): void {
  RED.nodes.registerType<ChargingDef, Node>('parking-charging', function (def) {
    RED.nodes.createNode(this, def);
    chargingNode(RED, this, def);
  });
}

/** The journal of this node's events under Node-RED's user directory; none when Node-RED has none (a test helper). */
function journalOf(RED: NodeAPI, node: Node): EventJournal | undefined {
  const userDir = RED.settings.userDir;
  if (typeof userDir !== 'string' || !userDir) return undefined;
  const journal = new EventJournal(path.join(userDir, 'parking-charging', node.id.replace(/[^A-Za-z0-9_-]/g, '_')));
  if (journal.problems.length) node.warn(`journal: skipped unreadable lines (${journal.problems.join('; ')})`);
  return journal;
}

function chargingNode(RED: NodeAPI, node: Node, def: ChargingDef): void {
  const mongo = RED.nodes.getNode(def.mongodb) as MongodbNode | null;
  const tariffs = RED.nodes.getNode(def.tariff) as TariffNode | null;
  const topics = new Topics(unsetEnv(def.topicRoot) ? 'parking' : (def.topicRoot ?? '').trim() || 'parking');
  const repeatDisplay = def.repeatDisplay === true || def.repeatDisplay === 'true';
  const counts = { applied: 0, repeats: 0, rejected: 0 };
  // Each lot's tariff (the lot configuration's, through the flows' environment).
  const lotTariffs = lotTariffsFromEnv(process.env.PARKING_FLOWS_LOT_TARIFFS);
  if (lotTariffs.problem) node.warn(lotTariffs.problem);
  const missingTariffs = new Set<string>();
  const logged = new Set<string>();
  let last = '';
  let retrying = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const problem = !mongo ? 'no MongoDB connection (parking-mongodb) configured' : !tariffs ? 'no tariff (parking-tariff) configured' : undefined;
  // Events wait for MongoDB as long as the node runs: an outage delays their record, never drops them.
  let billing: Promise<Billing> | undefined;
  const getBilling = () =>
    (billing ??= mongo!.collections().then(
      (collections) =>
        new Billing(collections, {
          retry: { deadlineMs: Number.POSITIVE_INFINITY, maxDelayMs: 2000 },
          onRetry: () => {
            retrying = true;
            show();
          },
        }),
      (err: Error) => {
        billing = undefined;
        throw err;
      },
    ));
  const desk = problem
    ? undefined
    : new ChargingDesk({
        apply: async (ev, tariff, signal) => (await getBilling()).apply(ev, tariff, signal),
        read: () => mongo!.readable(),
        carKeyOf: (carId) => mongo!.carKey(carId),
        journal: journalOf(RED, node),
        logger: { warn: (obj, msg) => node.warn(`${msg} ${JSON.stringify(obj)}`), info: (obj, msg) => node.log(`${msg} ${JSON.stringify(obj)}`) },
      });

  function show() {
    if (problem || !desk) return;
    const tail = `${counts.applied} applied${counts.repeats ? `, ${counts.repeats} repeats` : ''}${counts.rejected ? `, ${counts.rejected} rejected` : ''}${desk.stats.mismatches ? `, ${desk.stats.mismatches} recorded differently` : ''}`;
    if (retrying && desk.unsaved) node.status({ fill: 'yellow', shape: 'ring', text: `MongoDB not writable: gates answered, ${desk.unsaved} to record; ${tail}` });
    else if (!desk.ready) node.status({ fill: 'yellow', shape: 'ring', text: `reading the open sessions from MongoDB ${mongo?.hosts ?? ''}; ${tail}` });
    else node.status({ fill: 'green', shape: 'dot', text: `${last ? `${last}; ` : ''}${tail}` });
  }
  if (problem) node.status({ fill: 'red', shape: 'ring', text: problem });
  else show();

  // The open sessions, read until it works (every attempt bounded); events are answered meanwhile.
  const seed = () => {
    if (closed || !desk || !tariffs?.tariff) return;
    desk.seed(SEED_TIMEOUT_MS, tariffs.tariff).then(
      (ready) => {
        show();
        if (!ready) timer = setTimeout(seed, 1000);
      },
      () => {
        timer = setTimeout(seed, 1000);
      },
    );
  };
  seed();

  node.on('input', (msg, send, done) => {
    if (problem || !desk) return done(new Error(problem));
    const nodeTariff = tariffs!.tariff;
    if (!nodeTariff) return done(new Error(`tariff not usable: ${tariffs!.problem ?? 'unknown problem'}`));
    let ev;
    try {
      ev = gateEventFromMessage(msg, topics, Date.now(), (carId) => mongo!.carKey(carId));
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
    const { tariff, missing } = tariffForLot(event.lot, lotTariffs.tariffs, nodeTariff);
    if (missing && !missingTariffs.has(`${event.lot}/${missing}`)) {
      missingTariffs.add(`${event.lot}/${missing}`);
      node.warn(`lot ${event.lot} is to be charged by tariff ${missing}, but no parking-tariff node with that id is deployed: charging it by ${nodeTariff.id} until one is`);
    }
    const failed = (err: Error) => {
      if (err instanceof RetryAborted) return new Error(`stopped before gate event ${event.eventId} was recorded in MongoDB (it stays in the journal): ${err.lastError instanceof Error ? err.lastError.message : String(err.lastError)}`);
      return new Error(`gate event ${event.eventId} (${event.direction} ${maskPlate(event.carId)} at ${event.lot}) not applied: ${err.message}`);
    };
    desk
      .handle(event, tariff)
      .then((answer: GateAnswer) => {
        if (answer.duplicate) counts.repeats += 1;
        else counts.applied += 1;
        last = answer.display.text.replace(/\s+/g, ' ');
        show();
        // The gate first, at once; the session (second output) once MongoDB holds it.
        if (!answer.duplicate || repeatDisplay) send([{ ...msg, ...displayMessage(topics, event, answer) }, null]);
        answer.stored.then(
          (result: ApplyResult) => {
            retrying = false;
            show();
            send([null, sessionMessage(topics, event, result)]);
            done();
          },
          (err: Error) => done(failed(err)),
        );
      })
      .catch((err: Error) => done(failed(err)));
  });

  onClose(node, async () => {
    closed = true;
    clearTimeout(timer);
    // Events still waiting for MongoDB stay in the journal for the next start; never half-applied.
    await desk?.close(CLOSE_WAIT_MS);
  });
}
