// The lot configuration (docs/lots.md): which lots, levels and slots exist,
// their display names, and which slots are retired. Ingest counts and accepts
// by it, so every view (dashboard, signage, alarms) shows the one count that
// ingest publishes.
import { readFileSync } from 'node:fs';
import { LotLayout } from './layout.ts';
import { LayoutError, parseLayout } from './parse.ts';

export { LotLayout, type SlotVerdict, type LotSummary, type LotInfo } from './layout.ts';
export { parseLayout, LayoutError, MAX_SLOTS_PER_LEVEL, type LayoutSpec, type LotSpec, type LevelSpec, type GeoPoint } from './parse.ts';

/** The largest configuration file read (a city of lots fits in far less). */
const MAX_BYTES = 8 * 1024 * 1024;

/** Reads and checks the lot configuration in `file`; throws a LayoutError that names the file's problem. */
export function loadLayout(file: string): LotLayout {
  let text: string;
  try {
    const buffer = readFileSync(file);
    if (buffer.length > MAX_BYTES) throw new LayoutError(`larger than ${MAX_BYTES / 1024 / 1024} MiB`);
    text = buffer.toString('utf8');
  } catch (error) {
    if (error instanceof LayoutError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new LayoutError(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable (permission denied)' : (error as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LayoutError(`not JSON: ${(error as Error).message}`);
  }
  return new LotLayout(parseLayout(json));
}
