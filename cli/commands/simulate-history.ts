// `parking simulate --history DAYS`: weeks of simulated slot history written into the
// platform's MongoDB in seconds (history/simulate.ts), then the command ends.
import { SettingError } from '../../config/index.ts';
import type { CliContext } from '../context.ts';

export interface HistoryFlags {
  lots: number;
  levels: number;
  slots: number;
  seed?: number;
  history: number;
}

export async function simulateHistoryInto(ctx: CliContext, flags: HistoryFlags, s: { mongodbUri?: string; mongodbDb: string; utcOffset: string }): Promise<number> {
  if (!s.mongodbUri) {
    throw new SettingError('MONGODB_URI', '', "parking simulate --history writes into the platform's MongoDB: set MONGODB_URI or --mongodb-uri (parking start prints the URI it uses)", { source: 'env' });
  }
  const [{ connectMongo, closeMongo }, { writeSimulatedHistory }, { offsetMinutes }, { planFleet }] = await Promise.all([
    import('../../mongo/index.ts'),
    import('../../history/simulate-write.ts'),
    import('../../billing/index.ts'),
    import('../../devices/simulate/plan.ts'),
  ]);
  // The lots, levels and slot ids `parking simulate` uses: the history is theirs.
  const plans = planFleet({ lots: flags.lots, levels: flags.levels, slotsPerLevel: flags.slots, gates: 0 });
  const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 32);
  const to = Date.now();
  const utcOffsetMs = (offsetMinutes(s.utcOffset) ?? 420) * 60_000;
  const mongo = await connectMongo(s.mongodbUri);
  try {
    const started = Date.now();
    const written = await writeSimulatedHistory(
      mongo.db(s.mongodbDb),
      { lots: plans, from: to - flags.history * 86_400_000, to, utcOffsetMs, seed },
      (firstAt, changes) => ctx.stdout.write(`${new Date(firstAt + utcOffsetMs).toISOString().slice(0, 10)}: ${changes} changes\n`),
    );
    ctx.stdout.write(`wrote ${written.changes} slot changes of ${written.slots} slots (${plans.map((p) => p.lot).join(', ')}; levels ${plans[0].levels.map((l) => l.level).join(', ')}; seed ${seed}) in ${Date.now() - started} ms; the platform rolls them up within a minute (/api/occupancy)\n`);
    return 0;
  } finally {
    await closeMongo(mongo);
  }
}
