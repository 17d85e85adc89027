// Injecting each scenario's fault, and undoing it so the next run starts on
// the primary again.
import type { DrillDatabase } from './database.ts';
import { probeBroker } from '../link/index.ts';
import { SCENARIO_INFO, type ScenarioName } from './scenarios.ts';
import { RESYNCED, type Stack } from './stack.ts';

export interface FaultContext {
  stack: Stack;
  db: DrillDatabase;
}

export interface InjectedFault {
  /** Undoes the fault: restarts what was stopped, heals what was cut. Resolves when it is back. */
  restore(timeoutMs: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Injects the fault of `scenario`. Broker and Redis faults return as soon as the signal is sent
 * or the link is cut; database faults once the stand-in (or replica set) confirmed them.
 */
export async function injectFault(scenario: ScenarioName, ctx: FaultContext): Promise<InjectedFault> {
  const { stack, db } = ctx;
  switch (scenario) {
    case 'broker-planned':
    case 'broker-crash': {
      const mark = stack.standby.mark();
      const exited = stack.primary.kill(scenario === 'broker-planned' ? 'SIGTERM' : 'SIGKILL');
      return {
        async restore(timeoutMs) {
          await exited;
          await stack.primary.restart();
          // The standby's bridge is back and both sides hold the newest state again.
          await stack.standby.waitForOutput(RESYNCED, { from: mark, timeoutMs });
        },
      };
    }
    case 'broker-partition':
      stack.proxies.primary.partition();
      return {
        async restore() {
          stack.proxies.primary.heal();
        },
      };
    case 'redis-loss': {
      const redis = stack.redis;
      if (!redis) throw new Error('redis-loss needs the brokers on Redis (--redis)');
      const mark = stack.standby.mark();
      const killed = redis.primary.kill('SIGKILL');
      return {
        async restore(timeoutMs, signal) {
          await killed;
          await redis.primary.restart();
          // A broker on Redis may have exited while its Redis was gone: start it again first.
          const revived = await stack.revive();
          // A restarted primary is resynchronised by the standby's bridge; one that lived on
          // (stalled, its bridge link open) is back once its heartbeats flow again.
          if (revived.length) await stack.standby.waitForOutput(RESYNCED, { from: mark, timeoutMs });
          else await primaryHealthy(stack.brokerUrls[0], timeoutMs, signal);
        },
      };
    }
    case 'db-stepdown':
    case 'db-kill':
    case 'db-election': {
      const fault = scenario === 'db-stepdown' ? 'stepdown' : scenario === 'db-kill' ? 'kill' : 'election';
      await db.inject(fault);
      return {
        async restore(timeoutMs, signal) {
          await db.restore();
          await db.waitHealthy(timeoutMs, signal);
        },
      };
    }
    default:
      throw new Error(`no fault for scenario ${String(scenario satisfies never)} (${SCENARIO_INFO[scenario as ScenarioName]?.fault})`);
  }
}

/** Resolves once a probe of the broker gets a heartbeat (its message bus works); rejects after `timeoutMs`. */
async function primaryHealthy(url: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!signal?.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const result = await probeBroker(url, { timeoutMs: Math.min(1000, left) });
    if (result.healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the primary broker sent no heartbeat within ${timeoutMs} ms after its Redis came back`);
}
