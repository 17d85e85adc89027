// A real Mosquitto broker on a free port, config rendered from .mosquitto/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinary } from './binary.ts';
import type { ServiceLogger } from './logger.ts';
import { launchService, trackTempDir, type ServiceHandle } from './process.ts';
import { probeMqtt } from './probe.ts';

/** The base config every test broker is rendered from. */
export const MOSQUITTO_TEMPLATE = fileURLToPath(new URL('../../.mosquitto/mosquitto.conf', import.meta.url));

export interface MosquittoOptions {
  /** Listener port; a free one when omitted. */
  port?: number;
  /** Listener bind address (default 127.0.0.1). */
  host?: string;
  /** Extra config lines appended to the rendered file. */
  config?: string | readonly string[];
  /** Default true. With false and no password_file every CONNECT is refused (CONNACK 5), but the broker still counts as up. */
  allowAnonymous?: boolean;
  logger?: ServiceLogger;
  /** Program name or path (default: env PARKING_MOSQUITTO_BIN, then `mosquitto` on PATH or in sbin). */
  binary?: string;
  /** Template path (default .mosquitto/mosquitto.conf). */
  template?: string;
  /** How long to wait for the first CONNACK (default 10 s). */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
}

export interface RenderOptions {
  port: number;
  host?: string;
  allowAnonymous?: boolean;
  extra?: string | readonly string[];
  /** Emit `user <name>` (mosquitto run as root otherwise switches to user `mosquitto`). */
  user?: string;
}

/**
 * The template with its `listener` line set to `port` (bound to `host`), its
 * `allow_anonymous` line set, and the extra lines appended.
 */
export function renderMosquittoConfig(template: string, opts: RenderOptions): string {
  const extra = typeof opts.extra === 'string' ? opts.extra.split('\n') : [...(opts.extra ?? [])];
  let listeners = 0;
  const lines = template.split('\n').map((line) => {
    if (/^\s*listener\s+\d+/.test(line)) {
      listeners++;
      return `listener ${opts.port}${opts.host ? ` ${opts.host}` : ''}`;
    }
    if (/^\s*allow_anonymous\s+/.test(line)) return `allow_anonymous ${opts.allowAnonymous ?? true}`;
    return line;
  });
  if (listeners !== 1) throw new Error(`mosquitto template must have exactly one 'listener' line, found ${listeners}`);
  const out = [...lines];
  if (!template.match(/^\s*allow_anonymous\s+/m)) out.push(`allow_anonymous ${opts.allowAnonymous ?? true}`);
  if (opts.user && !extra.some((l) => /^\s*user\s+/.test(l))) out.push(`user ${opts.user}`);
  if (extra.length) out.push('', '# --- extra lines (testbed) ---', ...extra);
  return `${out.join('\n').trimEnd()}\n`;
}

/** Start Mosquitto; resolves once an MQTT CONNECT gets a CONNACK. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<ServiceHandle> {
  const binary = resolveBinary('mosquitto', 'mosquitto', opts.binary);
  const template = fs.readFileSync(opts.template ?? MOSQUITTO_TEMPLATE, 'utf8');
  const host = opts.host ?? '127.0.0.1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parking-mosquitto-'));
  trackTempDir(dir);
  const file = path.join(dir, 'mosquitto.conf');
  return launchService(
    {
      name: 'mosquitto',
      pkg: 'mosquitto',
      binary,
      scheme: 'mqtt',
      host,
      dir,
      argsFor(port) {
        const text = renderMosquittoConfig(template, {
          port,
          host,
          allowAnonymous: opts.allowAnonymous,
          extra: opts.config,
          user: process.getuid?.() === 0 ? 'root' : undefined,
        });
        fs.writeFileSync(file, text);
        return ['-c', file];
      },
      probe: probeMqtt,
      readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 5_000,
      logger: opts.logger,
    },
    opts.port,
  );
}
