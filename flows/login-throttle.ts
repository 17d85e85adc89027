// Limits on failed logins over HTTP (the editor's token endpoint, the reports'
// basic authentication), with the broker's throttle: per address and per
// (user name, address), only failures count, and a user name failed from one
// address is never locked out from another. While throttled the answer is
// 429 with Retry-After, and the password is not even checked.
import { AuthThrottle } from '../broker/index.ts';
import { express, type Handler, type Request, type Response } from './deps.ts';

export { AuthThrottle };

/** How long (ms) `user` from this request's address must wait before a check; 0: now. */
export function loginWaitMs(throttle: AuthThrottle, user: string, req: Request): number {
  const address = req.socket?.remoteAddress;
  return Math.max(throttle.waitMs('address', user, address), throttle.waitMs('user', user, address));
}

export function loginFailed(throttle: AuthThrottle, user: string, req: Request): void {
  throttle.failed(user, req.socket?.remoteAddress);
}

export function refuseThrottled(res: Response, waitMs: number): void {
  res.set('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
  res.status(429).json({ error: 'too many failed logins: try again later' });
}

/**
 * For Node-RED's `POST <editor>/auth/token`: refused while throttled, and a refused login
 * (its 401 or 403) counts as a failure. The body is parsed here (Node-RED's parsers then
 * leave it), so the user name is known before Node-RED checks the password.
 */
export function throttleEditorLogins(throttle: AuthThrottle): Handler[] {
  const user = (req: Request) => String((req.body as { username?: unknown } | undefined)?.username ?? '');
  const guard: Handler = (req, res, next) => {
    const wait = loginWaitMs(throttle, user(req), req);
    if (wait > 0) return refuseThrottled(res, wait);
    res.once('finish', () => {
      if (res.statusCode === 401 || res.statusCode === 403) loginFailed(throttle, user(req), req);
    });
    next();
  };
  const onlyTokens = (handler: Handler): Handler => (req, res, next) => (req.method === 'POST' && req.path === '/auth/token' ? handler(req, res, next) : next());
  return [onlyTokens(express.json()), onlyTokens(express.urlencoded({ extended: true })), onlyTokens(guard)];
}
