// parking plates export|erase PLATE: a data subject's request (GDPR art. 15 and 17,
// Indonesia's PDP law): everything billing holds about one plate, or that plate removed
// from all of it. Records are found by the plate's keyed hash, and in clear.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { UsageError } from '../errors.ts';
import { useSettings } from '../settings.ts';

/** Longest wait for MongoDB: the connection, then all the reads or writes, ms. */
const TIMEOUT_MS = 60_000;
const ACTIONS = ['export', 'erase'] as const;

/** Charging journals under the data directory that still hold `plate` (events MongoDB does not have yet). */
function journalsHolding(dataDir: string, plate: string): string[] {
  const root = path.join(dataDir, 'node-red', 'parking-charging');
  let dirs: string[];
  try {
    dirs = readdirSync(root);
  } catch {
    return [];
  }
  const needle = `"carId":"${plate}"`;
  return dirs.map((d) => path.join(root, d, 'gate-events.ndjson')).filter((file) => {
    try {
      return readFileSync(file, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}

export function registerPlates(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('plates')
    .argument('<action>', `${ACTIONS.join(' or ')}`)
    .argument('<plate>', 'the car plate, as a gate reads it (spaces and case do not matter)')
    .option('--yes', 'erase: really erase (without it, only says what would change)')
    .description(
      "Answer a data subject's request about one car plate: `export` prints every session and gate event of the plate as JSON; `erase` removes the plate from all of them (the plate reads ********, the keyed hash is replaced), keeping the fees for the accounts. Needs MONGODB_URI and the plate key the flows use (PARKING_PLATE_KEY, or <dataDir>/plate-key).",
    );
  const settings = useSettings(cmd, ['mongodbUri', 'mongodbDb', 'dataDir', 'plateKey']);
  examples(cmd, ["MONGODB_URI='mongodb://db1,db2,db3/?replicaSet=rs0' parking plates export 'B 1234 XYZ' > B1234XYZ.json", "MONGODB_URI='mongodb://db1,db2,db3/?replicaSet=rs0' parking plates erase B1234XYZ --yes"]);
  cmd.action(async (action: string, raw: string, flags: { yes?: boolean }) => {
    const s = settings(ctx);
    if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown action '${action}': use ${ACTIONS.join(' or ')}`);
    const [{ normaliseCarId, isCarId }, billing, { connectMongo, closeMongo }, { bounded }] = await Promise.all([
      import('../../contract/index.ts'),
      import('../../billing/index.ts'),
      import('../../mongo/index.ts'),
      import('../../mongo/bound.ts'),
    ]);
    const plate = normaliseCarId(raw);
    if (!isCarId(plate)) throw new UsageError(`'${raw}' is not a plate: 1-16 letters, digits or -`);
    if (!s.mongodbUri) throw new UsageError('parking plates needs MONGODB_URI (or --mongodb-uri): the database the charging flows write to (`parking start` prints it)');
    const carKey = billing.carKeyOf(billing.resolvePlateKey(path.join(s.dataDir, billing.PLATE_KEY_FILE), s.plateKey, true), plate);
    const uri = s.mongodbUri;
    const client = await bounded('MongoDB connection', TIMEOUT_MS, () => connectMongo(uri));
    try {
      const db = client.db(s.mongodbDb);
      const c = { sessions: db.collection('sessions'), gateEvents: db.collection('gateEvents') } as import('../../billing/index.ts').BillingCollections;
      const found = await bounded('read of the plate\'s records', TIMEOUT_MS, (signal) => billing.plateRecords(c, plate, carKey, signal));
      const pending = journalsHolding(s.dataDir, plate);
      const journalNote = pending.length ? `; its newest gate events are not in MongoDB yet (${pending.join(', ')}): run this again once the charging flows have stored them` : '';
      if (action === 'export') {
        ctx.stdout.write(`${JSON.stringify({ plate, exportedAt: new Date().toISOString(), sessions: found.sessions, gateEvents: found.gateEvents }, null, 2)}\n`);
        if (journalNote) ctx.stderr.write(`note: ${plate}${journalNote}\n`);
        return;
      }
      if (!flags.yes) {
        ctx.stdout.write(`would erase ${plate} from ${found.sessions.length} sessions and ${found.gateEvents.length} gate events${journalNote}; add --yes to erase\n`);
        ctx.exitCode = 1;
        return;
      }
      const erased = await bounded('erasure of the plate', TIMEOUT_MS, (signal) => billing.erasePlate(c, plate, carKey, signal));
      ctx.stdout.write(`erased ${plate} from ${erased.sessions} sessions and ${erased.gateEvents} gate events${journalNote}\n`);
      if (pending.length) ctx.exitCode = 1;
    } finally {
      await closeMongo(client);
    }
  });
}
