// express 4 (a dependency of the project; it ships no TypeScript types),
// typed with the little the web pages use.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

export interface Request extends IncomingMessage {
  params: Record<string, string>;
  /** The path relative to where the router is mounted. */
  path: string;
  /** The URL's query, parsed (a repeated parameter is an array). */
  query: Record<string, unknown>;
  /** A request header, case-insensitive. */
  get(name: string): string | undefined;
  /** The best of `types` for the Accept header, or false when none is acceptable. */
  accepts(types: string[]): string | false;
  /** Where the router handling it is mounted. */
  baseUrl: string;
}

export interface Response extends ServerResponse {
  status(code: number): Response;
  type(type: string): Response;
  set(field: string, value: string): Response;
  send(body: string | Buffer): Response;
}

export type Next = (err?: unknown) => void;
export type Handler = (req: Request, res: Response, next: Next) => unknown;

export interface Router {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  get(path: string | string[], ...handlers: Handler[]): Router;
  post(path: string | string[], ...handlers: Handler[]): Router;
  use(...handlers: Array<string | Router | Handler>): Router;
}

export interface App {
  (req: IncomingMessage, res: ServerResponse, next?: Next): void;
  use(...handlers: Array<string | Router | Handler | App>): App;
  disable(setting: string): App;
  listen(port: number, host: string, callback: () => void): Server;
}

interface Express {
  (): App;
  Router(options?: { strict?: boolean; caseSensitive?: boolean }): Router;
}

export const express = createRequire(import.meta.url)('express') as Express;
