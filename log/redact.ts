// Passwords in URLs never reach a log line or a message: `mqtt://user:pw@host`
// becomes `mqtt://user:***@host`, wherever in the text it is. Pure.

const URL_PASSWORD = /([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@\s"]*):[^@/?#\s"]*@/g;

/** `text` with the password of every URL in it masked. */
export function redactUrls(text: string): string {
  return text.includes('://') ? text.replace(URL_PASSWORD, '$1:***@') : text;
}
