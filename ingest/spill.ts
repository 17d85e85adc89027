// What ingest could not make durable before it had to stop (MongoDB without a
// primary at shutdown) is kept in a file under the data directory and written
// by the next start. Slot states would come back anyway (the slot topics are
// retained); the file keeps the history of the states in between.
//
// One file per stop: `<dir>/pending-<time>-<pid>.ndjson`, one JSON line per
// update or history record. A start takes every file it finds by renaming it to
// `…ndjson.taken-<pid>` (so two instances never take the same file), and removes
// it once what it held is durable. A taken file whose process is gone is taken again.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import type { SlotUpdate } from './decode.ts';
import type { SlotEventDoc } from './store.ts';
import type { Pending } from './writer.ts';

type Line =
  | { k: 'slot'; u: SlotUpdate; maybe?: true }
  | { k: 'history'; r: Omit<SlotEventDoc, '_id' | 'at' | 'receivedAt'> & { _id: string; at: number; receivedAt: number } };

/** Writes `pending` to a new file in `dir`; returns its path (undefined when there was nothing to keep). */
export async function saveSpill(dir: string, pending: Pending): Promise<string | undefined> {
  if (pending.slots.length === 0 && pending.history.length === 0) return undefined;
  await mkdir(dir, { recursive: true });
  const maybe = new Set(pending.maybeApplied);
  const lines: Line[] = [
    ...pending.history.map((r): Line => ({ k: 'history', r: { ...r, _id: r._id.toHexString(), at: r.at.getTime(), receivedAt: r.receivedAt.getTime() } })),
    ...pending.slots.map((u): Line => (maybe.has(u) ? { k: 'slot', u, maybe: true } : { k: 'slot', u })),
  ];
  const file = path.join(dir, `pending-${Date.now()}-${process.pid}.ndjson`);
  // Written whole under a temporary name first: a start never reads half a file.
  await writeFile(`${file}.tmp`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  await rename(`${file}.tmp`, file);
  return file;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface Taken {
  pending: Pending;
  files: string[];
  /** Lines that could not be read, with the reason. */
  problems: string[];
  /** Removes the taken files: call once their content is durable. */
  release(): Promise<void>;
}

/** Takes every spill file in `dir` (none when it does not exist), oldest first. */
export async function takeSpill(dir: string): Promise<Taken> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const files: string[] = [];
  for (const name of names.sort()) {
    const orphan = /\.ndjson\.taken-(\d+)$/.exec(name);
    if (!name.endsWith('.ndjson') && !(orphan && !alive(Number(orphan[1])))) continue;
    const from = path.join(dir, name);
    const to = path.join(dir, `${name.replace(/\.taken-\d+$/, '')}.taken-${process.pid}`);
    try {
      await rename(from, to);
      files.push(to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another instance took it first
    }
  }
  const pending: Pending = { slots: [], maybeApplied: [], history: [] };
  const problems: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    text.split('\n').forEach((raw, i) => {
      if (!raw.trim()) return;
      try {
        const line = JSON.parse(raw) as Line;
        if (line.k === 'slot') {
          pending.slots.push(line.u);
          if (line.maybe) pending.maybeApplied.push(line.u);
        } else if (line.k === 'history') {
          pending.history.push({ ...line.r, _id: new ObjectId(line.r._id), at: new Date(line.r.at), receivedAt: new Date(line.r.receivedAt) });
        } else {
          throw new Error(`unknown kind ${JSON.stringify((line as { k: unknown }).k)}`);
        }
      } catch (err) {
        problems.push(`${path.basename(file)} line ${i + 1}: ${(err as Error).message}`);
      }
    });
  }
  return { pending, files, problems, release: async () => void (await Promise.all(files.map((f) => rm(f, { force: true })))) };
}
