// Logging in over HTTP as the tests do it: the reports API's basic
// authentication header, and a token from Node-RED's editor login.
import { expect } from 'chai';

export interface Login {
  user: string;
  password: string;
}

/** The `authorization` header of HTTP basic authentication (the reports API). */
export function basicAuthHeader(who: Login): { authorization: string } {
  return { authorization: `Basic ${Buffer.from(`${who.user}:${who.password}`).toString('base64')}` };
}

/** Asks Node-RED's token endpoint (`<base>/red/auth/token`) for an editor token; `form`: as a form, the way the editor sends it. */
export function requestEditorToken(base: string, who: Login, form = false): Promise<Response> {
  const fields = { client_id: 'node-red-editor', grant_type: 'password', scope: '*', username: who.user, password: who.password };
  return fetch(`${base}/red/auth/token`, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
  });
}

/** A token for the editor's admin API; the test fails when the login is refused. */
export async function editorToken(base: string, who: Login): Promise<string> {
  const token = await requestEditorToken(base, who);
  expect(token.status, 'editor login').to.equal(200);
  return ((await token.json()) as { access_token: string }).access_token;
}
