// Runs the chosen sections one after another, each with its own processes,
// and writes DIR/bench.json, DIR/bench.txt (the table) and DIR/bench.svg.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkTargets, cpuBudget } from './analysis.ts';
import { describeMachine } from './machine.ts';
import type { BenchOptions } from './options.ts';
import type { BenchReport } from './report.ts';
import { runLatency, runThroughput, type Progress } from './scenarios/pipeline.ts';
import { runFailover } from './scenarios/failover.ts';
import { runHistoryBeside } from './scenarios/history.ts';
import { runPeers } from './scenarios/peers.ts';
import { runScale } from './scenarios/scale.ts';
import { runBacktest } from '../history/backtest.ts';
import { renderSvg } from './svg.ts';
import { renderTable } from './table.ts';

export interface BenchResult {
  report: BenchReport;
  table: string;
  files: { json: string; table: string; svg: string };
}

export async function runBench(options: BenchOptions, progress: Progress = () => {}): Promise<BenchResult> {
  const started = new Date();
  const machine = describeMachine();
  const report: BenchReport = {
    version: 1,
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    durationMs: 0,
    quick: options.quick,
    machine,
    options: { ...options, mongodbUri: options.mongodbUri ? '(MONGODB_URI, not shown)' : undefined },
    mongo: { kind: options.mongodbUri ? 'uri' : 'stand-in', db: options.db },
    targets: [],
    errors: [],
  };
  const attempt = async (section: string, body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      const message = (error as Error).message;
      report.errors.push({ section, message });
      progress(`${section}: failed: ${message.split('\n')[0]}`);
    }
  };
  if (options.only.includes('latency')) {
    await attempt('latency', async () => {
      const { section, mongoKind } = await runLatency(options, progress);
      report.latency = section;
      report.mongo.kind = mongoKind;
    });
  }
  if (options.only.includes('throughput')) {
    await attempt('throughput', async () => {
      const { section, mongoKind } = await runThroughput(options, machine.nproc, progress);
      report.throughput = section;
      report.mongo.kind = mongoKind;
    });
  }
  if (options.only.includes('scale')) await attempt('scale', async () => void (report.scale = await runScale(options, progress)));
  if (options.only.includes('peers')) await attempt('peers', async () => void (report.peers = await runPeers(options, progress)));
  if (options.only.includes('failover')) await attempt('failover', async () => void (report.failover = await runFailover(options, progress)));
  if (options.only.includes('history')) await attempt('history', async () => void (report.history = await runHistoryBeside(options, progress)));
  if (options.only.includes('forecast')) {
    await attempt('forecast', async () => {
      progress('forecast: the backtest on a simulated month (3 levels of 40 slots; the last week forecast every 15 min)');
      report.forecast = runBacktest({ days: options.quick ? 21 : 35 });
    });
  }
  const finished = new Date();
  report.finishedAt = finished.toISOString();
  report.durationMs = finished.getTime() - started.getTime();
  report.budget = cpuBudget(report, machine.nproc);
  report.targets = checkTargets(report);
  const table = renderTable(report);
  await mkdir(options.out, { recursive: true });
  const files = { json: path.join(options.out, 'bench.json'), table: path.join(options.out, 'bench.txt'), svg: path.join(options.out, 'bench.svg') };
  await Promise.all([
    writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`),
    writeFile(files.table, table),
    writeFile(files.svg, renderSvg(report)),
  ]);
  return { report, table, files };
}
