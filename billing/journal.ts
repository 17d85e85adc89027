// The charging desk's journal: every gate event is appended before the gate is
// answered, and marked done once MongoDB holds it. What a stop or a crash left
// undone (MongoDB without a primary, say) is applied by the next start, so no
// car is lost. One file, `<dir>/gate-events.ndjson`, one JSON line per entry:
// `{"e":<event>}` or `{"done":"<eventId>"}`. Appends are synchronous, so the
// line is in the file (the operating system's cache) before the display goes
// out; gate events come a few a second, not thousands. Once MongoDB holds every
// event the file is emptied: the plates in it stay on disk no longer than that.
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LotGateEvent } from './session.ts';

/** Rewrite the file when it holds this many lines more than its pending events. */
const COMPACT_AFTER = 10_000;

export class EventJournal {
  private readonly file: string;
  /** Events appended and not marked done, in order. */
  private readonly open = new Map<string, LotGateEvent>();
  private lines = 0;
  /** Lines of the file that could not be read at start, with the reason. */
  readonly problems: string[] = [];

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'gate-events.ndjson');
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    text.split('\n').forEach((raw, i) => {
      if (!raw.trim()) return;
      try {
        const line = JSON.parse(raw) as { e?: LotGateEvent; done?: string };
        if (line.e && typeof line.e.eventId === 'string') this.open.set(line.e.eventId, line.e);
        else if (typeof line.done === 'string') this.open.delete(line.done);
        else throw new Error('neither an event nor a done mark');
      } catch (err) {
        // A line cut short by a crash mid-append is the only expected case.
        this.problems.push(`line ${i + 1}: ${(err as Error).message}`);
      }
    });
    this.compact();
  }

  /** Events not known to be in MongoDB, oldest first. */
  pending(): LotGateEvent[] {
    return [...this.open.values()];
  }

  /** Appends `ev` (once per event id). */
  record(ev: LotGateEvent): void {
    if (this.open.has(ev.eventId)) return;
    this.open.set(ev.eventId, ev);
    this.append({ e: ev });
  }

  /** Marks `eventId` as held by MongoDB. */
  done(eventId: string): void {
    if (!this.open.delete(eventId)) return;
    // Nothing left: the file is emptied, so plates stay on disk only until MongoDB has them.
    if (this.open.size === 0) this.compact();
    else {
      this.append({ done: eventId });
      if (this.lines > this.open.size + COMPACT_AFTER) this.compact();
    }
  }

  private append(line: object): void {
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    this.lines += 1;
  }

  /** Rewrites the file with the pending events only (whole, under a temporary name first). */
  private compact(): void {
    const text = [...this.open.values()].map((e) => `${JSON.stringify({ e })}\n`).join('');
    writeFileSync(`${this.file}.tmp`, text);
    renameSync(`${this.file}.tmp`, this.file);
    this.lines = this.open.size;
  }
}
