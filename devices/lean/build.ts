// Builds the lean device package (`npm run build:device`): `parking device` and
// `parking gate` bundled by esbuild into one JavaScript file with only what a Pi
// needs, in dist/device/ with a package.json and the systemd units. No TypeScript
// compiler at run time, no Node-RED, no MongoDB driver, no broker. docs/deploy.md.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
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
const LEFT_OUT: Array<[RegExp, string]> = [
  [/testbed\/mongo\/index\.ts$/, 'the MongoDB stand-in is not in the lean device build'],
  [/^ws$/, 'MQTT over WebSocket is not in the lean device build: use mqtt:// or mqtts://'],
  [/^socks$/, 'SOCKS proxies are not in the lean device build'],
  [/^thread-stream$/, 'log transports are not in the lean device build'],
];

const leaveOut: Plugin = {
  name: 'leave-out',
  setup(b) {
    for (const [filter, message] of LEFT_OUT) b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'left-out', pluginData: message }));
    // A module whose every use throws: loading it costs nothing, using it says why it is missing.
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
      contents: `const MESSAGE = ${JSON.stringify((args.pluginData as string) ?? `${args.path} is not in the lean device build`)};
function fail() { throw new Error(MESSAGE); } // a function, not an arrow: \`new\` reaches the construct trap
module.exports = new Proxy(fail, { get: (_t, key) => (key === '__esModule' ? false : key === 'default' ? module.exports : fail), apply: fail, construct: fail });`,
      loader: 'js',
    }));
  },
};

/** Builds it; `packages`: the npm packages bundled in. */
export async function buildDevice(): Promise<{ file: string; bytes: number; packages: string[] }> {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string; license?: string };
  rmSync(DEVICE_DIST, { recursive: true, force: true });
  mkdirSync(DEVICE_DIST, { recursive: true });
  const file = `${DEVICE_DIST}parking-device.mjs`;
  const result = await build({
    entryPoints: [`${ROOT}devices/lean/main.ts`],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    plugins: [leaveOut],
    // CommonJS dependencies (mqtt's) call require(); the version is inlined (cli/core.ts).
    banner: { js: `#!/usr/bin/env node\nimport { createRequire as __parkingRequire } from 'node:module'; const require = __parkingRequire(import.meta.url); globalThis.PARKING_VERSION = ${JSON.stringify(pkg.version)};` },
    logLevel: 'warning',
    metafile: true,
  });
  const packages = bundledPackages(result.metafile);
  writeNotices(DEVICE_DIST, packages, `${ROOT}node_modules/`);
  writeFileSync(
    `${DEVICE_DIST}package.json`,
    `${JSON.stringify({ name: 'smart-parking-device', version: pkg.version, description: 'Smart-parking Pi publisher and gate reader: parking device and parking gate, one file, no dependencies', type: 'module', bin: { 'parking-device': 'parking-device.mjs' }, engines: { node: '>=20' }, license: pkg.license ?? 'UNLICENSED' }, null, 2)}\n`,
  );
  copyFileSync(`${ROOT}deploy/parking-device.service`, `${DEVICE_DIST}parking-device.service`);
  return { file, bytes: statSync(file).size, packages };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { file, bytes } = await buildDevice();
  process.stdout.write(`wrote ${file} (${Math.round(bytes / 1024)} KiB)\n`);
}
