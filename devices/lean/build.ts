// Builds the lean device package (`npm run build:device`): `parking device` and
// `parking gate` bundled by esbuild into one entry file and its lib/ chunks, with only
// what a Pi needs, in dist/device/ with a package.json and the systemd unit. No TypeScript
// compiler at run time, no Node-RED, no MongoDB driver, no broker. docs/deploy.md.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { bundledPackages, writeNotices } from '../../build/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEVICE_DIST = fileURLToPath(new URL('../../dist/device/', import.meta.url));

/**
 * What a device never runs, left out; each fails loudly, naming itself, if ever called:
 * - the MongoDB stand-in, which the shared command-line code names;
 * - what MQTT.js and pino load for features a Pi does without: MQTT over WebSocket (`ws`, which
 *   brings in Node's http, https and zlib), SOCKS proxies (`socks`), pino's worker-thread
 *   transports (`thread-stream`). Each module Node loads costs memory (docs/deploy.md).
 */
const LEFT_OUT: Array<[RegExp, string, RegExp?]> = [
  [/testbed\/mongo\/index\.ts$/, 'the MongoDB stand-in is not in the lean device build'],
  [/^ws$/, 'MQTT over WebSocket is not in the lean device build: use mqtt:// or mqtts://'],
  [/^socks$/, 'SOCKS proxies are not in the lean device build'],
  [/^thread-stream$/, 'log transports are not in the lean device build'],
  // Commander runs subcommands that are executables of their own with it; ours are not, and
  // loading it at each start (with net, dgram and streams) was a tenth of `--version`'s time.
  [/^(node:)?child_process$/, 'commander\'s executable subcommands are not in the lean device build', /node_modules\/commander\//],
];

const leaveOut: Plugin = {
  name: 'leave-out',
  setup(b) {
    for (const [filter, message, importer] of LEFT_OUT) {
      b.onResolve({ filter }, (args) => (importer && !importer.test(args.importer) ? undefined : { path: args.path, namespace: 'left-out', pluginData: message }));
    }
    // A module whose every use throws: loading it costs nothing, using it says why it is missing.
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `const MESSAGE = ${JSON.stringify((args.pluginData as string) ?? `${args.path} is not in the lean device build`)};
function fail() { throw new Error(MESSAGE); } // a function, not an arrow: \`new\` reaches the construct trap
module.exports = new Proxy(fail, { get: (_t, key) => (key === '__esModule' ? false : key === 'default' ? module.exports : fail), apply: fail, construct: fail });`,
      loader: 'js',
    }));
  },
};

/**
 * The npm packages a start loads: those of the entry and of the chunks it imports statically.
 * The rest (MQTT, the link, the logger) are loaded by a command's action, so `--help` and
 * `--version` skip them (cli/commands/device.ts).
 */
export function eagerPackages(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (out: string) => {
    if (seen.has(out) || !metafile.outputs[out]) return;
    seen.add(out);
    for (const imp of metafile.outputs[out].imports) if (imp.kind === 'import-statement') visit(imp.path);
  };
  visit(entry);
  return bundledPackages({ inputs: metafile.inputs, outputs: Object.fromEntries([...seen].map((out) => [out, metafile.outputs[out]])) });
}

/**
 * Builds it. `file`: the entry; `bytes`: the whole package; `packages`: the npm packages bundled
 * in; `eager`: those loaded at every start.
 */
export async function buildDevice(): Promise<{ file: string; bytes: number; packages: string[]; eager: string[] }> {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string; license?: string };
  rmSync(DEVICE_DIST, { recursive: true, force: true });
  mkdirSync(DEVICE_DIST, { recursive: true });
  const file = `${DEVICE_DIST}parking-device.mjs`;
  const result = await build({
    entryPoints: { 'parking-device': `${ROOT}devices/lean/main.ts` },
    // The metafile's paths are relative to this, whatever the current directory.
    absWorkingDir: ROOT,
    outdir: DEVICE_DIST,
    outExtension: { '.js': '.mjs' },
    // What an action imports with import() goes in chunks of its own, read only when it runs:
    // a start parses 75 KiB instead of 450 (docs/devices.md, "Running on a Pi").
    splitting: true,
    chunkNames: 'lib/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    plugins: [leaveOut],
    // CommonJS dependencies (mqtt's) call require(), in any chunk; the version is inlined (cli/core.ts).
    banner: { js: `#!/usr/bin/env node\nimport { createRequire as __parkingRequire } from 'node:module'; const require = __parkingRequire(import.meta.url); globalThis.PARKING_VERSION = ${JSON.stringify(pkg.version)};` },
    logLevel: 'warning',
    metafile: true,
  });
  const packages = bundledPackages(result.metafile);
  writeNotices(DEVICE_DIST, packages, `${ROOT}node_modules/`);
  writeFileSync(
    `${DEVICE_DIST}package.json`,
    `${JSON.stringify({ name: 'smart-parking-device', version: pkg.version, description: 'Smart-parking Pi publisher and gate reader: parking device and parking gate, no dependencies', type: 'module', bin: { 'parking-device': 'parking-device.mjs' }, engines: { node: '>=20' }, license: pkg.license ?? 'UNLICENSED' }, null, 2)}\n`,
  );
  copyFileSync(`${ROOT}deploy/parking-device.service`, `${DEVICE_DIST}parking-device.service`);
  const bytes = Object.keys(result.metafile.outputs).reduce((sum, out) => sum + statSync(join(ROOT, out)).size, 0);
  return { file, bytes, packages, eager: eagerPackages(result.metafile, relative(ROOT, file)) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { file, bytes, eager } = await buildDevice();
  process.stdout.write(`wrote ${file} and its lib/ (${Math.round(bytes / 1024)} KiB); loaded at every start: ${eager.join(', ')}\n`);
}
