// The per-device `seq` of slot states: +1 per published state, starting from
// max(the clock in ms, the last persisted value + 1). The clock start keeps
// it increasing across restarts without any storage (a device publishes far
// fewer than 1000 states a second); the optional state file covers a clock
// that went back (a Pi without a real-time clock booting before NTP).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface SeqOptions {
  /** File holding the last seq (one decimal number); none = clock only. */
  file?: string;
  now?: () => number;
}

export class SeqCounter {
  private value: number;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    start: number,
    private readonly file: string | undefined,
  ) {
    this.value = start - 1;
  }

  static async open(options: SeqOptions = {}): Promise<SeqCounter> {
    const clock = Math.floor((options.now ?? Date.now)());
    let persisted = -1;
    if (options.file) {
      try {
        const text = (await readFile(options.file, 'utf8')).trim();
        if (/^\d{1,16}$/.test(text)) persisted = Number(text);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      await mkdir(dirname(options.file), { recursive: true });
    }
    return new SeqCounter(Math.max(clock, persisted + 1), options.file);
  }

  /** The last seq handed out. */
  get current(): number {
    return this.value;
  }

  next(): number {
    this.value += 1;
    this.persist();
    return this.value;
  }

  /** Resolves once the last value is on disk. */
  async close(): Promise<void> {
    await this.writing;
  }

  private persist(): void {
    if (!this.file || this.dirty) return;
    this.dirty = true;
    const file = this.file;
    // Coalesced: one write at a time, always of the latest value; written to a temporary file and renamed.
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      const tmp = `${file}.tmp`;
      await writeFile(tmp, `${this.value}\n`);
      await rename(tmp, file);
    }).catch(() => {});
  }
}
