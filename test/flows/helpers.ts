// Helpers for the Node-RED tests: node-red-node-test-helper (typed here, it ships no
// types), our shipped node files, and waiting for what a node sends.
import { createRequire } from 'node:module';
import type { NodeMessage } from '../../flows/nodes/red.ts';

const require = createRequire(import.meta.url);

export interface TestNode {
  id: string;
  on(event: 'input', listener: (msg: NodeMessage) => void): void;
  on(event: 'call:error' | 'call:warn' | 'call:status' | 'call:send', listener: (call: { args: unknown[] }) => void): void;
  off(event: string, listener: (...args: any[]) => void): void;
  receive(msg: NodeMessage): void;
  [key: string]: any;
}

export interface NodeTestHelper {
  load(nodes: unknown, flow: object[], credentials?: Record<string, object>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
}

const testHelper = require('node-red-node-test-helper') as NodeTestHelper;

// The test helper replaces `available` of Node-RED's runtime settings (to run without
// storage) and never puts it back; a real Node-RED started later in this process
// (startFlows) needs it back.
const runtimeSettings = (require('node-red') as { settings: { available: () => boolean } }).settings;
const available = runtimeSettings.available;

export const helper: NodeTestHelper = {
  load: (nodes, flow, credentials) => testHelper.load(nodes, flow, credentials),
  getNode: (id) => testHelper.getNode(id),
  async unload() {
    try {
      await testHelper.unload();
    } finally {
      runtimeSettings.available = available;
    }
  },
};

/** A shipped node file (flows/nodes/parking-<name>.cjs), loaded the way Node-RED loads it. */
export function nodeFile(name: 'mongodb' | 'tariff' | 'charging' | 'report' | 'mqtt-failover' | 'mqtt-out'): unknown {
  return require(`../../flows/nodes/parking-${name}.cjs`);
}

/** The next message `node` receives that satisfies `match`; fails after `ms`. */
export function nextInput(node: TestNode, what: string, match: (msg: NodeMessage) => boolean = () => true, ms = 10_000): Promise<NodeMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.off('input', listener);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const listener = (msg: NodeMessage) => {
      if (!match(msg)) return;
      clearTimeout(timer);
      node.off('input', listener);
      resolve(msg);
    };
    node.on('input', listener);
  });
}

/** The next error `node` reports (node.error or done(err)); fails after `ms`. */
export function nextError(node: TestNode, what: string, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    const listener = (call: { args: unknown[] }) => {
      clearTimeout(timer);
      node.off('call:error', listener);
      const first = call.args[0];
      resolve(first instanceof Error ? first.message : String(first));
    };
    node.on('call:error', listener);
  });
}

/** Collects every message `node` receives. */
export function collect(node: TestNode): NodeMessage[] {
  const seen: NodeMessage[] = [];
  node.on('input', (msg) => seen.push(msg));
  return seen;
}
