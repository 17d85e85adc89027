// The web pages of the platform as one express Router: `/signage/{lot}` and its
// assets, `/healthz`, `/metrics`. Mount it on any express app (`app.use(router)`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { express, type Request, type Response, type Router } from './express.ts';
import { DEFAULT_ROOT, idProblem } from '../contract/index.ts';
import { httpStatusOf, type HealthReport } from './health.ts';
import { listPage, notFoundPage, signagePage, type ListItem } from './pages.ts';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.ts';

export interface WebRouterOptions {
  /** The brokers' MQTT-over-WebSocket URLs, primary first (`ws://host:9001`). */
  mqttWsUrls: readonly string[];
  /** First topic level (default `parking`). */
  topicRoot?: string;
  health: () => Promise<HealthReport>;
  metrics: () => Promise<string> | string;
  /** Signage: silence after which a broker connection is dead (default 300 ms). */
  failoverMs?: number;
  /** Signage: while on a standby, how often the primary is probed (default 1000 ms; 0 = never). */
  probeIntervalMs?: number;
  /** /healthz answers `down` when `health()` takes longer (default 5000 ms). */
  healthTimeoutMs?: number;
  /** The lots known now, for the list at `/signage`; unset: the list says the lots are not known here. */
  lots?: () => Promise<readonly string[]>;
  /** What `/` lists besides the signage list, /healthz and /metrics (the dashboard, the editor, ...). */
  index?: readonly ListItem[];
  /** A lot's display name (the lot configuration's `name`), shown on its signage page and in the list. */
  lotName?: (lot: string) => string | undefined;
}

/** Longest wait for the list of lots, ms: for the list page, and (shorter) for a signage page. */
const LOTS_TIMEOUT_MS = 3000;
const SIGNAGE_LOTS_TIMEOUT_MS = 1000;

const require = createRequire(import.meta.url);

/** The files under `/signage/assets/`: name, content type, where it is read from. */
const ASSETS: Record<string, { type: string; file: () => string }> = {
  'mqtt.min.js': { type: 'text/javascript; charset=utf-8', file: () => path.join(path.dirname(require.resolve('mqtt/package.json')), 'dist', 'mqtt.min.js') },
  'page.js': { type: 'text/javascript; charset=utf-8', file: () => fileURLToPath(new URL('./assets/page.js', import.meta.url)) },
  'view.js': { type: 'text/javascript; charset=utf-8', file: () => fileURLToPath(new URL('./assets/view.js', import.meta.url)) },
  'failover.js': { type: 'text/javascript; charset=utf-8', file: () => fileURLToPath(new URL('./assets/failover.js', import.meta.url)) },
  'signage.css': { type: 'text/css; charset=utf-8', file: () => fileURLToPath(new URL('./assets/signage.css', import.meta.url)) },
};

/** Only the page's own scripts and styles; MQTT over WebSocket to wherever the brokers are. */
const SIGNAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; worker-src 'self' blob:; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/** The assets' folder relative to the page at `pagePath` (router-relative), so any mount path works. */
export function assetBase(pagePath: string): string {
  const dir = pagePath.endsWith('/') ? pagePath : path.posix.dirname(pagePath) + '/';
  const rel = path.posix.relative(dir, '/signage/assets');
  return `${rel}/`;
}

function validateOptions(options: WebRouterOptions): void {
  if (!options.mqttWsUrls.length) throw new Error('createWebRouter: mqttWsUrls needs at least one broker WebSocket URL');
  for (const url of options.mqttWsUrls) {
    if (!/^wss?:\/\/[^/]/.test(url)) throw new Error(`createWebRouter: mqttWsUrls: '${url}' is not a ws:// or wss:// URL`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function notFound(req: Request, res: Response, title: string, message: string): void {
  res.status(404).set('Cache-Control', 'no-store').set('Content-Security-Policy', SIGNAGE_CSP).type('html').send(notFoundPage(title, message, assetBase(req.path)));
}

export function createWebRouter(options: WebRouterOptions): Router {
  validateOptions(options);
  const topicRoot = options.topicRoot ?? DEFAULT_ROOT;
  const healthTimeoutMs = options.healthTimeoutMs ?? 5000;
  const cache = new Map<string, Buffer>();
  const router = express.Router({ strict: false });

  router.get('/signage/assets/:file', (req, res, next) => {
    const asset = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined;
    if (!asset) return next();
    let body = cache.get(req.params.file);
    if (!body) {
      body = readFileSync(asset.file());
      cache.set(req.params.file, body);
    }
    res.set('Cache-Control', 'no-cache').set('X-Content-Type-Options', 'nosniff').type(asset.type).send(body);
  });

  router.get('/signage/:lot', async (req, res) => {
    const lot = req.params.lot;
    if (idProblem('lot', lot)) return notFound(req, res, 'No such lot', `'${lot}' is not a lot id: a lot id is 1-32 characters of A-Z a-z 0-9 _ -. A signage page is /signage/<lot>, e.g. /signage/mall-1.`);
    // A lot may start reporting after the page loads: an unknown one is served too, and says so while it waits.
    const knownLots = options.lots ? await withTimeout(options.lots(), SIGNAGE_LOTS_TIMEOUT_MS, 'the list of lots').catch(() => undefined) : undefined;
    const page = signagePage(
      { lot, ...(options.lotName?.(lot) ? { name: options.lotName(lot) } : {}), topicRoot, mqttWsUrls: options.mqttWsUrls, failoverMs: options.failoverMs ?? 300, probeIntervalMs: options.probeIntervalMs ?? 1000, ...(knownLots ? { knownLots } : {}) },
      assetBase(req.path),
    );
    res.set('Cache-Control', 'no-store').set('Content-Security-Policy', SIGNAGE_CSP).type('html').send(page);
  });

  router.get('/', (req, res) => {
    const items: ListItem[] = [
      ...(options.index ?? []),
      { href: 'signage', label: 'Signage', note: 'a full-screen page per lot, for the screens at the entrances (everyone)' },
      { href: 'healthz', label: '/healthz', note: 'health as JSON (everyone)' },
      { href: 'metrics', label: '/metrics', note: 'Prometheus metrics (everyone)' },
    ];
    res.set('Cache-Control', 'no-store').set('Content-Security-Policy', SIGNAGE_CSP).type('html').send(listPage('Smart parking', 'What this server serves.', items, assetBase(req.path)));
  });

  router.get(['/signage', '/signage/'], async (req, res) => {
    let lots: readonly string[] | undefined;
    let problem = '';
    try {
      lots = options.lots ? await withTimeout(options.lots(), LOTS_TIMEOUT_MS, 'the list of lots') : undefined;
    } catch (error) {
      problem = ` (the list of lots is not available: ${(error as Error).message})`;
    }
    const base = req.path.endsWith('/') ? '' : 'signage/';
    const items = (lots ?? []).map((lot) => {
      const name = options.lotName?.(lot);
      return { href: `${base}${encodeURIComponent(lot)}`, label: name ?? lot, ...(name ? { note: lot } : {}) };
    });
    const intro = lots === undefined ? `A signage page is /signage/<lot>, e.g. /signage/mall-1${problem}.` : lots.length ? 'The lots with slots reported so far; each page shows its free spaces live.' : 'No lot has reported a slot yet. A signage page is /signage/<lot>, e.g. /signage/mall-1.';
    res.set('Cache-Control', 'no-store').set('Content-Security-Policy', SIGNAGE_CSP).type('html').send(listPage('Signage', intro, items, assetBase(req.path)));
  });

  router.get('/signage/*', (req, res) => {
    notFound(req, res, 'No such page', `There is no page at ${req.path}. A signage page is /signage/<lot>, e.g. /signage/mall-1.`);
  });

  router.get('/healthz', async (_req, res) => {
    let report: HealthReport;
    try {
      report = await withTimeout(options.health(), healthTimeoutMs, 'the health check');
    } catch (error) {
      report = { status: 'down', problems: [`health check failed: ${(error as Error).message}`], checkedAt: new Date().toISOString(), brokers: [], mongo: null, ingest: null };
    }
    res.status(httpStatusOf(report.status)).set('Cache-Control', 'no-store').type('application/json').send(`${JSON.stringify(report, null, 2)}\n`);
  });

  router.get('/metrics', async (_req, res) => {
    try {
      const text = await options.metrics();
      // A Buffer: express leaves the content type as it is.
      res.set('Cache-Control', 'no-store').type(PROMETHEUS_CONTENT_TYPE).send(Buffer.from(text, 'utf8'));
    } catch (error) {
      res.status(500).set('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send(`metrics unavailable: ${(error as Error).message}\n`);
    }
  });

  return router;
}
