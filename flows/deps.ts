// Node-RED and express, loaded with require() and typed here with the little we use
// (neither ships TypeScript types). express comes with node-red.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

export interface Request extends IncomingMessage {
  query: Record<string, unknown>;
  params: Record<string, string>;
  path: string;
  /** The URL as it arrived, before a mount point took its prefix. */
  originalUrl: string;
  /** True over HTTPS. */
  secure: boolean;
  accepts(type: string): string | false;
  /** A request header, case-insensitive. */
  get(name: string): string | undefined;
  /** The content type it matches (`application/json`), or false. */
  is(type: string): string | false | null;
  /** Set by a body parser. */
  body?: unknown;
}

export interface Response extends ServerResponse {
  status(code: number): Response;
  json(body: unknown): Response;
  type(type: string): Response;
  send(body: unknown): Response;
  set(field: string, value: string): Response;
  attachment(filename: string): Response;
  redirect(status: number, url: string): void;
  cookie(name: string, value: string, options: { httpOnly?: boolean; sameSite?: 'strict' | 'lax'; secure?: boolean; path?: string; maxAge?: number }): Response;
  clearCookie(name: string, options?: { path?: string }): Response;
  locals: Record<string, unknown>;
}

export type Next = (err?: unknown) => void;
export type Handler = (req: Request, res: Response, next: Next) => void;

/** An express application (also a request listener for an http.Server). */
export interface App {
  (req: IncomingMessage, res: ServerResponse, next?: Next): void;
  use(...args: unknown[]): App;
  get(path: string, ...handlers: Handler[]): App;
  disable(setting: string): App;
}

export interface Router {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  get(path: string, ...handlers: Handler[]): Router;
  post(path: string, ...handlers: Handler[]): Router;
  use(...args: unknown[]): Router;
}

export interface Express {
  (): App;
  Router(): Router;
  json(options?: { limit?: string }): Handler;
  urlencoded(options: { extended: boolean; limit?: string }): Handler;
}

export interface NodeRed {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly httpAdmin: App;
  readonly httpNode: App;
  version(): string;
}

interface Registry {
  getModuleList(): Record<string, unknown>;
  removeModule(name: string, skipSave?: boolean): unknown;
}

const require = createRequire(import.meta.url);
const nodeRedMain = require.resolve('node-red');
const fromNodeRed = createRequire(nodeRedMain);

export const RED = require('node-red') as NodeRed;
export const express = fromNodeRed('express') as Express;

// node-red-node-test-helper replaces `available` of Node-RED's runtime settings (to run
// nodes without storage) and never puts it back; a Node-RED started later in the same
// process then cannot keep its node list. Kept from before any test could touch it.
const runtimeSettings = (RED as unknown as { settings: { available: () => boolean } }).settings;
const originalAvailable = runtimeSettings.available;

/** Puts Node-RED's runtime settings back as Node-RED made them (see above). */
export function restoreRuntimeSettings(): void {
  if (runtimeSettings.available !== originalAvailable) runtimeSettings.available = originalAvailable;
}

/**
 * Node-RED keeps the modules it loaded in its registry across RED.stop(), and a second
 * RED.init() in the same process then skips them ("Set does not have any types"). After a
 * stop, forgetting every module but the core makes the next start load them again.
 * Returns the modules it could not forget, with the reason.
 */
export function forgetLoadedModules(): string[] {
  const registry = fromNodeRed('@node-red/registry/lib/registry.js') as Registry;
  const failed: string[] = [];
  for (const name of Object.keys(registry.getModuleList())) {
    if (name === 'node-red') continue;
    try {
      registry.removeModule(name, true);
    } catch (err) {
      failed.push(`${name}: ${(err as Error).message}`);
    }
  }
  return failed;
}
