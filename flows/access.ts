// Who may see what over HTTP. Three roles:
// - visitors (no login): the Availability page, signage, open data, health;
// - operators: the dashboard's operator pages (Charging, System) and the reports, plates masked;
// - admins: all of that with plates in clear, and the Node-RED editor (its own login, adminAuth).
//
// A login is a session: `POST /login` checks the user's bcrypt hash (failures throttled per
// address and per user, as the editor's are) and sets an HttpOnly, SameSite=Strict cookie,
// Secure over HTTPS. Scripts may use HTTP basic authentication on the API instead.
// The dashboard is guarded with what Dashboard 2.0 provides: `dashboard.middleware` on its
// pages and `dashboard.ioMiddleware` on its socket (which records the socket's login);
// which messages reach which socket is decided by the parking-access plugin (nodes/access.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';
import { express, type Handler, type Request, type Response, type Router } from './deps.ts';
import { loginFailed, loginWaitMs, refuseThrottled, type AuthThrottle } from './login-throttle.ts';
import type { AdminCredentials } from './admin-login.ts';
import { loginPage } from './login-page.ts';

export type Role = 'operator' | 'admin';

export interface HttpUser extends AdminCredentials {
  role: Role;
}

export interface Login {
  user: string;
  role: Role;
}

export const LOGIN_PATH = '/login';
export const LOGOUT_PATH = '/logout';
export const SESSION_COOKIE = 'parking_session';
/** A session lasts this long from its login, ms. */
export const SESSION_MS = 12 * 3600_000;
/** Sessions kept at most (the oldest goes first). */
const MAX_SESSIONS = 10_000;

/** The logins of this process, by the token in their cookie (kept in memory: a restart logs everyone out). */
export class LoginSessions {
  private readonly sessions = new Map<string, Login & { expires: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  create(login: Login): string {
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, { ...login, expires: this.now() + SESSION_MS });
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return token;
  }

  get(token: string | undefined): Login | undefined {
    const s = token ? this.sessions.get(token) : undefined;
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.sessions.delete(token!);
      return undefined;
    }
    return { user: s.user, role: s.role };
  }

  delete(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }
}

/** The value of cookie `name` in a request's Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Checks a user name and password against the users; the login, or undefined. */
export type Verify = (user: string, password: string) => Promise<Login | undefined>;

export function verifier(users: readonly HttpUser[]): Verify {
  // A hash of nothing, compared when the user is unknown: the answer takes as long either way.
  const decoy = bcrypt.hashSync(randomBytes(16).toString('hex'), 10);
  return async (user, password) => {
    const found = users.find((u) => u.user === user);
    const ok = await bcrypt.compare(password, found?.passwordHash ?? decoy);
    return ok && found ? { user: found.user, role: found.role } : undefined;
  };
}

export interface AccessOptions {
  users: readonly HttpUser[];
  throttle: AuthThrottle;
  /** Dashboard 2.0's path (`/dashboard`) and the paths of its operator pages under it (`/charging`). */
  dashboardPath: string;
  operatorPages: readonly string[];
}

/** Everything HTTP access needs, made once per server. */
export class Access {
  readonly sessions = new LoginSessions();
  readonly verify: Verify;
  /** Basic authentication headers already checked, by their hash (bcrypt is slow on purpose). */
  private readonly accepted = new Map<string, Login>();

  constructor(private readonly o: AccessOptions) {
    this.verify = verifier(o.users);
  }

  /**
   * Checks a password under the throttle, for every HTTP login (form and basic authentication):
   * `waitMs` while throttled (the password is not checked), else the login, or none (a failure,
   * counted). A `password` of undefined (a malformed header) is checked as empty and always fails.
   */
  private async check(user: string, password: string | undefined, req: Request): Promise<{ waitMs?: number; login?: Login }> {
    const waitMs = loginWaitMs(this.o.throttle, user, req);
    if (waitMs > 0) return { waitMs };
    const login = await this.verify(user, password ?? '');
    if (login && password !== undefined) return { login };
    loginFailed(this.o.throttle, user, req);
    return {};
  }

  /** The login of a request or a socket's handshake: its session cookie. */
  loginOf(req: Pick<IncomingMessage, 'headers'>): Login | undefined {
    return this.sessions.get(cookieValue(req.headers.cookie, SESSION_COOKIE));
  }

  /** True when `path` (a request's, query included or not) is an operator page of the dashboard or its debug data. */
  isOperatorPath(path: string): boolean {
    const base = this.o.dashboardPath;
    const rest = path.split('?')[0];
    if (!rest.startsWith(`${base}/`)) return false;
    const inner = rest.slice(base.length);
    return inner.startsWith('/_debug/') || this.o.operatorPages.some((p) => inner === p || inner.startsWith(`${p}/`));
  }

  /** `dashboard.middleware`: the operator pages (and the widgets' stored data) need an operator's login. */
  readonly dashboardGuard: Handler = (req, res, next) => {
    if (!this.isOperatorPath(req.originalUrl) || this.loginOf(req)) return next();
    if (req.method === 'GET' && req.accepts('html') && !req.originalUrl.includes('/_debug/')) return res.redirect(303, `${LOGIN_PATH}?next=${encodeURIComponent(req.originalUrl)}`);
    res.status(401).json({ error: 'operators only: log in at /login' });
  };

  /**
   * `dashboard.ioMiddleware`: Dashboard 2.0's own checks (a socket starts with HTTP polling, from
   * the same origin), and the socket's login recorded for the parking-access plugin.
   */
  readonly socketGuard = (socket: { client: { conn: { request: IncomingMessage; close(): void } }; handshake: { xdomain?: boolean }; data: Record<string, unknown>; disconnect(close: boolean): void }, next: (err?: Error) => void): void => {
    const request = socket.client.conn.request;
    if ((request.url ?? '').includes('transport=websocket')) return void socket.client.conn.close();
    if (socket.handshake.xdomain !== false) return void socket.disconnect(true);
    socket.data.login = this.loginOf(request);
    next();
  };

  /** For the API: a session or HTTP basic authentication; 401 otherwise. Sets `res.locals.login`. */
  readonly requireLogin: Handler = (req, res, next) => {
    const session = this.loginOf(req);
    if (session) {
      res.locals.login = session;
      return next();
    }
    const header = req.headers.authorization ?? '';
    const key = createHash('sha256').update(header).digest('hex');
    const known = this.accepted.get(key);
    if (known) {
      res.locals.login = known;
      return next();
    }
    const refuse = () => {
      res.set('WWW-Authenticate', 'Basic realm="parking", charset="UTF-8"');
      res.status(401).json({ error: 'authentication required: an operator or admin login (session or HTTP basic)' });
    };
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    if (!m) return refuse();
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    this.check(user, colon < 0 ? undefined : decoded.slice(colon + 1), req).then(({ waitMs, login }) => {
      if (waitMs) return refuseThrottled(res, waitMs);
      if (!login) return refuse();
      if (this.accepted.size < 100) this.accepted.set(key, login);
      res.locals.login = login;
      next();
    }, next);
  };

  /** `GET|POST /login`, `POST /logout`, and `GET /login/whoami` (the login as JSON, 401 without). */
  routes(): Router {
    const router = express.Router();
    const form = express.urlencoded({ extended: false, limit: '4kb' });
    router.get(LOGIN_PATH, (req, res) => sendPage(res, 200, safeNext(req.query.next), this.loginOf(req)));
    router.get(`${LOGIN_PATH}/whoami`, (req, res) => {
      const login = this.loginOf(req);
      if (login) res.json(login);
      else res.status(401).json({ error: 'not logged in' });
    });
    router.post(LOGIN_PATH, form, (req, res, next) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const user = typeof body.username === 'string' ? body.username : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const target = safeNext(body.next);
      this.check(user, password, req).then(({ waitMs, login }) => {
        if (waitMs) return refuseThrottled(res, waitMs);
        if (!login) return sendPage(res, 401, target, undefined, 'wrong user name or password');
        res.cookie(SESSION_COOKIE, this.sessions.create(login), { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: SESSION_MS });
        res.redirect(303, target);
      }, next);
    });
    router.post(LOGOUT_PATH, (req, res) => {
      this.sessions.delete(cookieValue(req.headers.cookie, SESSION_COOKIE));
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.redirect(303, LOGIN_PATH);
    });
    return router;
  }
}

/** Where to go after the login: a path on this server, never another site. */
export function safeNext(value: unknown): string {
  const path = typeof value === 'string' ? value : '';
  return /^\/(?![/\\])[^\s]*$/.test(path) ? path : '/';
}

function sendPage(res: Response, status: number, next: string, login?: Login, problem?: string): void {
  res.status(status).type('html').set('Cache-Control', 'no-store').send(loginPage({ next, login, problem }));
}

/** The login a guarded handler runs for (set by `requireLogin`). */
export const loginOfResponse = (res: Response): Login | undefined => res.locals.login as Login | undefined;

export type { Request };
