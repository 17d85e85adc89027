// The live path with the history beside it (`parking bench --only history`): the same load
// through the pipeline before, during and after the historian catches up on a site's past
// days in the same MongoDB (the heaviest the history gets: after a restart). Issue: the
// history must not slow the slot updates.
import { TARGETS } from '../analysis.ts';
import { probeRateFor, type BenchOptions } from '../options.ts';
import { benchScript, startChild } from '../platform.ts';
import type { HistorySection } from '../report.ts';
import { withHarness, type Progress } from './pipeline.ts';

export async function runHistoryBeside(options: BenchOptions, progress: Progress): Promise<HistorySection> {
  // The quick (smoke) run: a day of a small lot, so that it takes seconds.
  const days = options.quick ? 1 : 7;
  const perLevel = options.quick ? 50 : 500;
  const rate = options.quick ? (options.rates[0] ?? 200) : TARGETS.rate;
  const { result } = await withHarness(options, 'hist', progress, async (harness, pipeline) => {
    progress(`history: writing ${days} simulated days of a ${(4 * perLevel).toLocaleString('en-US')}-slot lot into MongoDB (not measured)`);
    const historian = await startChild({ name: 'historian', script: benchScript('./historian-load.ts'), args: [pipeline.mongoUri, pipeline.db, String(days), String(perLevel)], stdin: true, ready: /^\{"written":(\d+)\}$/m, readyTimeoutMs: 600_000 });
    try {
      const changes = Number(historian.ready[1]);
      const run = async (label: string) => {
        progress(`history: ${rate}/s for ${options.durationMs / 1000} s, ${label}`);
        const r = await harness.run({ rate, durationMs: options.durationMs, probeRate: probeRateFor(rate) });
        progress(`history: ${label}: availability p50 ${r.availability.p50} p99 ${r.availability.p99} ms; durable p50 ${r.durable.p50} p99 ${r.durable.p99} ms`);
        return r;
      };
      // Writing the past leaves MongoDB work to finish (the stand-in's garbage): a run to settle, not counted.
      await harness.run({ rate, durationMs: options.durationMs, probeRate: probeRateFor(rate) });
      const before = await run('without the historian');
      const started = historian.mark();
      historian.writeLine('go');
      await historian.waitForOutput(/"started":true/, { from: started });
      const during = await run('the historian catching up beside it');
      const asked = historian.mark();
      historian.writeLine('stats');
      const buckets = Number(/(\d+)/.exec(await historian.waitForOutput(/"rolled":\d+/, { from: asked }))![1]);
      historian.writeLine('stop');
      await historian.waitForExit(30_000);
      const after = await run('without the historian again');
      return { rate, days, slots: 4 * perLevel, changes, buckets, before, during, after };
    } finally {
      await historian.stop();
    }
  });
  return result;
}
