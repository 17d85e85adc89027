// The login page of the operator pages and reports: a plain form, no script. Pure.
import { escapeHtml as escape } from '../web/pages.ts';
import type { Login } from './access.ts';

export function loginPage(o: { next: string; login?: Login; problem?: string }): string {
  const body = o.login
    ? `<p>Logged in as <b>${escape(o.login.user)}</b> (${o.login.role}).</p>
<p><a href="${escape(o.next)}">Continue to ${escape(o.next)}</a></p>
<form method="post" action="/logout"><button type="submit">Log out</button></form>`
    : `${o.problem ? `<p class="problem" role="alert">${escape(o.problem)}</p>` : ''}
<form method="post" action="/login">
  <input type="hidden" name="next" value="${escape(o.next)}">
  <label>User <input name="username" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>
<p class="hint">Operators see the Charging and System pages and the reports; visitors need no login for the <a href="/dashboard">availability</a> and signage pages.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · Smart parking</title>
<style>
body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#222}
label{display:block;margin:.8rem 0}input{display:block;width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{padding:.5rem 1.2rem;font-size:1rem}.problem{color:#b00020}.hint{color:#666;font-size:.9rem;margin-top:2rem}
</style></head>
<body><h1>Smart parking</h1>
${body}
</body></html>
`;
}
