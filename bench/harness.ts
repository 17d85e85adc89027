// Drives steady-rate runs through a running pipeline and measures them with
// probes: a signage subscriber on the probe lot's availability topic, and a
// change stream on `slots` filtered (on the server) to the probe lots'
// documents, so MongoDB is never polled.
import { MongoClient, type ChangeStream, type ChangeStreamDocument } from 'mongodb';
import { bounded } from '../mongo/index.ts';
import { Topics, encodeSlotState } from '../contract/index.ts';
import { LoadGenerator } from './load.ts';
import type { Pipeline } from './platform.ts';
import { PROBE_LEVEL, ProbeBook, occupiedOf, probeIndexOf, probeSlot } from './probes.ts';
import { ProcessMeter, othersOf } from './procstat.ts';
import type { PipelineRun } from './report.ts';
import { SlotFleet, shapeFor } from './slots.ts';
import { summarize, type LatencySummary } from './stats.ts';
import { WireClient } from './wire.ts';

export const PROBE_LOT_PREFIX = 'probe-';
export const DURABLE_METHOD =
  'Probes: part of the load (half of it at low rates, at most 200/s) goes to a lot used only by probes, each probe setting a new slot occupied, on a gateway connection of its own. ' +
  '(a) availability: a subscriber on the primary takes parking/{probe lot}/availability; occupiedSpotNumber k shows probes 0..k-1 (ingest keeps their order). ' +
  '(b) durable: a change stream on `slots` filtered on the server to the probe lots ($match on documentKey._id) delivers each probe document once it is committed (majority on a real replica set); no polling. ' +
  "(b') applied: after each run one query reads the probe documents' updatedAt ($$NOW of the write that applied them, server clock, ms). " +
  'Times are taken against the probe\'s send time in the benchmark process (one clock). Ingest publishes availability from its in-memory newest state after each durable batch, so under load (a) can come before (b).';

export interface HarnessOptions {
  slots: number;
  publishers: number;
  drainMs: number;
  tag: string;
}

export interface RunPlan {
  rate: number;
  durationMs: number;
  probeRate: number;
}

export class PipelineHarness {
  private readonly topics = new Topics();
  private book?: ProbeBook;
  private lot = '';
  private runs = 0;

  private constructor(
    private readonly pipeline: Pipeline,
    private readonly load: LoadGenerator,
    private readonly probe: WireClient,
    private readonly signage: WireClient,
    private readonly mongo: MongoClient | undefined,
    private readonly stream: ChangeStream | undefined,
    private readonly options: HarnessOptions,
  ) {
    signage.onMessage = (message) => {
      const at = performance.now();
      if (!this.book || message.topic !== this.topics.availability(this.lot)) return;
      const occupied = occupiedOf(message.payload);
      if (occupied !== undefined) this.book.markVisibleUpTo(occupied, at);
    };
  }

  /** A probe document arrived on the change stream. */
  private onDurable(id: string, at: number): void {
    if (!this.book) return;
    const index = probeIndexOf(this.lot, id);
    if (index !== undefined) this.book.markDurable(index, at);
  }

  static async open(pipeline: Pipeline, options: HarnessOptions): Promise<PipelineHarness> {
    const { host, port } = pipeline.primary;
    // The sink stores nothing, so there is no durable document to watch.
    const mongo = pipeline.mongoKind === 'sink' ? undefined : new MongoClient(pipeline.mongoUri, { serverSelectionTimeoutMS: 15_000 });
    const opened: Array<{ end(): unknown }> = [];
    const ref: { harness?: PipelineHarness } = {};
    let stream: ChangeStream | undefined;
    try {
      if (mongo) {
        await mongo.connect();
        const watching = mongo
          .db(pipeline.db)
          .collection('slots')
          .watch([{ $match: { 'documentKey._id': { $regex: `^${PROBE_LOT_PREFIX}` } } }]);
        stream = watching;
        // The first tryNext runs the stream's aggregate, so it is open before any probe is sent.
        const first = await watching.tryNext();
        if (first) throw new Error('the benchmark database is not empty: another run is writing to it');
        void (async () => {
          while (!watching.closed) {
            const change: ChangeStreamDocument = await watching.next();
            const at = performance.now();
            const id = 'documentKey' in change ? (change.documentKey as { _id?: unknown })._id : undefined;
            if (typeof id === 'string') ref.harness?.onDurable(id, at);
          }
        })().catch(() => {});
      }
      const [publishers, probe, signage] = await Promise.all([
        LoadGenerator.connect(host, port, options.publishers, options.tag),
        WireClient.connect({ host, port, clientId: `bench-${options.tag}-probe-${process.pid}` }),
        WireClient.connect({ host, port, clientId: `bench-${options.tag}-signage-${process.pid}` }),
      ]);
      opened.push(...publishers, probe, signage);
      const fleet = new SlotFleet(shapeFor(options.slots));
      ref.harness = new PipelineHarness(pipeline, new LoadGenerator(publishers, fleet), probe, signage, mongo, stream, options);
      return ref.harness;
    } catch (error) {
      for (const client of opened) client.end();
      await stream?.close().catch(() => {});
      await mongo?.close();
      throw error;
    }
  }

  /** One steady-rate run: load plus probes, CPU metered while the load runs, then waits for the last probes. */
  async run(plan: RunPlan): Promise<PipelineRun> {
    this.runs += 1;
    const lot = `${PROBE_LOT_PREFIX}${this.options.tag}-${this.runs}`;
    const book = new ProbeBook(this.mongo !== undefined);
    await this.signage.subscribe([{ topic: this.topics.availability(lot), qos: 1 }]);
    this.lot = lot;
    this.book = book;
    const lossesBefore = this.pipeline.linkLosses();
    const sentEpoch: number[] = [];
    const sendProbe = (i: number) => {
      const payload = encodeSlotState({ status: 'occupied', ts: Date.now(), seq: i + 1, device: 'probe' });
      this.probe.publish(this.topics.slot(lot, PROBE_LEVEL, probeSlot(i)), payload, 1, true);
      const at = performance.now();
      book.markSent(at);
      sentEpoch.push(performance.timeOrigin + at);
    };
    const meter = new ProcessMeter({ ...this.pipeline.processes, bench: process.pid }).start();
    const result = await this.load.run({ rate: plan.rate, durationMs: plan.durationMs, probeRate: plan.probeRate, sendProbe });
    const processes = meter.stop();
    await book.settled(this.options.drainMs);
    await this.signage.unsubscribe([this.topics.availability(lot)]);
    const probes = book.results();
    const applied = await this.appliedLatency(lot, sentEpoch);
    return {
      rate: plan.rate,
      durationMs: plan.durationMs,
      sent: result.sent,
      achievedRate: result.achievedRate,
      probes: { sent: probes.sent, visible: probes.visible, durable: probes.durable },
      availability: probes.availability,
      durable: probes.durableLatency,
      ...(applied ? { applied } : {}),
      processes,
      othersCpuPct: othersOf(meter.machineCpuPct, processes),
      linkLosses: this.pipeline.linkLosses() - lossesBefore,
      unacked: result.unacked,
    };
  }

  /** Send to `updatedAt` ($$NOW of the write that applied it, server clock, ms) of each probe document, read once after the run. */
  private async appliedLatency(lot: string, sentEpoch: number[]): Promise<LatencySummary | undefined> {
    if (!this.mongo) return undefined;
    const slots = this.mongo.db(this.pipeline.db).collection<{ _id: string; updatedAt?: Date }>('slots');
    const docs = await bounded('read of the probe slots', 30_000, (signal) => slots.find({ lot }, { projection: { _id: 1, updatedAt: 1 }, signal }).toArray());
    const delays: number[] = [];
    for (const doc of docs) {
      const index = probeIndexOf(lot, doc._id);
      if (index !== undefined && doc.updatedAt instanceof Date && index < sentEpoch.length) delays.push(doc.updatedAt.getTime() - sentEpoch[index]);
    }
    return summarize(delays);
  }

  async close(): Promise<void> {
    await this.stream?.close().catch(() => {});
    await this.mongo?.close().catch(() => {});
    await Promise.all([...this.load.publishers, this.probe, this.signage].map((c) => c.end()));
  }
}
