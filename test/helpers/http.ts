// A conditional GET as a cache would send it. (Node's fetch adds `Cache-Control:
// no-cache` to any request with If-None-Match, and a server rightly answers that in full.)
import { get } from 'node:http';

/** The status of a GET of `url` with `headers`; the body is read and dropped. */
export function statusOf(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in 10 s`)));
    req.on('error', reject);
  });
}
