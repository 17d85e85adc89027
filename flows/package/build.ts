// Builds the Node-RED package (`npm run build:node-red`): the parking nodes as an npm package
// a plain Node-RED 4 installs from the palette or with `npm install`, in dist/node-red/.
// - the node files (parking-*.cjs) and editor files (parking-*.html) as they are in
//   flows/nodes/, with its package.json's `node-red` section;
// - the TypeScript behind them bundled by esbuild into one CommonJS file (runtime.cjs),
//   the MongoDB driver included: no dependencies to install, no TypeScript at run time;
// - examples/ (examples.ts), a README, the licence and the bundled packages' (THIRD-PARTY-NOTICES.md).
// docs/flows.md "The Node-RED package".
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundledPackages, writeNotices } from '../../build/index.ts';
import { chargingExample, reportExample, type FlowNode } from './examples.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODES = `${ROOT}flows/nodes/`;
export const NODE_RED_PACKAGE = 'node-red-contrib-smart-parking';
export const NODE_RED_DIST = `${ROOT}dist/node-red/`;

/** The MongoDB driver's optional modules (compression, Kerberos, cloud credentials): left to require() at run time, where they fail as the driver expects when absent. */
const OPTIONAL = ['kerberos', '@mongodb-js/zstd', '@aws-sdk/credential-providers', 'gcp-metadata', 'snappy', 'socks', 'aws4', 'mongodb-client-encryption'];

interface NodesManifest {
  description: string;
  'node-red': { version: string; nodes: Record<string, string>; plugins?: Record<string, string> };
}

/** In the package, load.mjs requires the bundle instead of importing the TypeScript. */
const LOAD = `// Loads the bundled runtime of the parking nodes once, for all of their node files.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let loading;

export function loadParkingNodes() {
  loading ??= Promise.resolve().then(() => require('./runtime.cjs'));
  return loading;
}
`;

export interface BuiltPackage {
  dir: string;
  /** The bytes of every file in it. */
  bytes: number;
  nodes: string[];
  examples: string[];
}

export async function buildNodeRedPackage(dir = NODE_RED_DIST): Promise<BuiltPackage> {
  const root = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string; license?: string; engines?: Record<string, string> };
  const manifest = JSON.parse(readFileSync(`${NODES}package.json`, 'utf8')) as NodesManifest;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(`${dir}examples`, { recursive: true });
  const bundle = await build({
    entryPoints: [`${NODES}index.ts`],
    outfile: `${dir}runtime.cjs`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    external: OPTIONAL,
    logLevel: 'warning',
    metafile: true,
  });
  writeNotices(dir, bundledPackages(bundle.metafile), `${ROOT}node_modules/`);
  const red = manifest['node-red'];
  const files = [...Object.values(red.nodes), ...Object.values(red.plugins ?? {})];
  for (const file of files) {
    copyFileSync(`${NODES}${file}`, `${dir}${file}`);
    const editor = file.replace(/\.cjs$/, '.html');
    try {
      copyFileSync(`${NODES}${editor}`, `${dir}${editor}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // a plugin has no editor file
    }
  }
  writeFileSync(`${dir}load.mjs`, LOAD);
  const shipped = JSON.parse(readFileSync(`${ROOT}flows/parking.json`, 'utf8')) as FlowNode[];
  const examples = [chargingExample(shipped), reportExample(shipped)];
  for (const example of examples) writeFileSync(`${dir}examples/${example.name}.json`, `${JSON.stringify(example.flow, null, 2)}\n`);
  copyFileSync(`${ROOT}flows/package/README.md`, `${dir}README.md`);
  copyFileSync(`${ROOT}LICENSE`, `${dir}LICENSE`);
  const pkg = {
    name: NODE_RED_PACKAGE,
    version: root.version,
    description: manifest.description,
    keywords: ['node-red', 'parking', 'smart-parking', 'mqtt', 'failover', 'mongodb', 'charging', 'tariff'],
    license: root.license ?? 'UNLICENSED',
    engines: { node: root.engines?.node ?? '>=20' },
    'node-red': red,
  };
  writeFileSync(`${dir}package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
  const bytes = walk(dir).reduce((sum, file) => sum + statSync(file).size, 0);
  return { dir, bytes, nodes: Object.keys(red.nodes), examples: examples.map((e) => e.name) };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}${e.name}/`) : [`${dir}${e.name}`]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildNodeRedPackage();
  process.stdout.write(`wrote ${built.dir} (${Math.round(built.bytes / 1024)} KiB: nodes ${built.nodes.join(', ')}; examples ${built.examples.join(', ')})\nnpm pack it with: npm pack ${built.dir}\n`);
}
