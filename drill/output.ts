// Writes DIR/drill.json, DIR/drill.md and DIR/drill.svg.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart } from './chart.ts';
import { renderReport } from './report.ts';
import type { DrillResult } from './result.ts';

export interface WrittenReport {
  json: string;
  markdown: string;
  svg: string;
}

export async function writeDrillReport(dir: string, result: DrillResult): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'drill.json'), markdown: join(dir, 'drill.md'), svg: join(dir, 'drill.svg') };
  await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(files.markdown, renderReport(result));
  await writeFile(files.svg, renderChart(result));
  return files;
}
