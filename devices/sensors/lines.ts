// A sensor fed by text lines, one reading per line (`1`/`0`/`true`/`false`,
// also `occupied`/`free`, any case): stdin, a file, or a FIFO another program
// writes to.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Sensor } from './types.ts';

const WORDS: Record<string, boolean> = { '1': true, true: true, occupied: true, '0': false, false: false, free: false };

/** The reading on one line: true (occupied), false (free), undefined for a blank line or a `#` comment; throws on anything else. */
export function parseReading(line: string): boolean | undefined {
  const text = line.trim().toLowerCase();
  if (text === '' || text.startsWith('#')) return undefined;
  const value = WORDS[text];
  if (value === undefined) throw new Error(`not a reading: ${JSON.stringify(line.trim().slice(0, 40))} (use 1, 0, true or false)`);
  return value;
}

export class LineSensor extends Sensor {
  private input: Readable | undefined;
  private closed = false;

  constructor(
    readonly description: string,
    private readonly open: () => Readable,
  ) {
    super();
  }

  static stdin(stream: Readable = process.stdin): LineSensor {
    return new LineSensor('stdin', () => stream);
  }

  static file(path: string): LineSensor {
    return new LineSensor(`file:${path}`, () => createReadStream(path, { encoding: 'utf8' }));
  }

  async start(): Promise<void> {
    const input = this.open();
    this.input = input;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      input.once('error', onError);
      // A file stream reports a missing file asynchronously; stdin is ready at once.
      if ('pending' in input && (input as { pending?: boolean }).pending) {
        input.once('ready', () => {
          input.off('error', onError);
          resolve();
        });
      } else {
        input.off('error', onError);
        resolve();
      }
    });
    input.on('error', (error) => this.emit('failure', error));
    const lines = createInterface({ input, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (this.closed) return;
      try {
        const value = parseReading(line);
        if (value !== undefined) this.emit('reading', value, Date.now());
      } catch (error) {
        this.emit('warning', (error as Error).message);
      }
    });
    lines.once('close', () => {
      if (!this.closed) this.emit('end');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.input && this.input !== process.stdin) this.input.destroy();
    else this.input?.pause();
  }
}
