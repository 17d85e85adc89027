// The alarms over HTTP, behind an operator's login (they name the platform's
// weak points): GET /api/alarms lists the active ones, worst first;
// POST /api/alarms/{lot}/{alarm}/ack acknowledges one. A POST from a page of
// another origin is refused (the login is a cookie).
import { idProblem } from '../contract/index.ts';
import { express, type Handler, type Request, type Response, type Router } from '../web/express.ts';
import type { AlarmService } from './service.ts';

export const ALARMS_PATH = '/api/alarms';

const json = (res: Response, status: number, body: unknown) => res.status(status).type('application/json; charset=utf-8').set('cache-control', 'no-store').send(JSON.stringify(body));

export function alarmsRouter(o: { alarms: AlarmService; guard?: Handler }): Router {
  const router = express.Router();
  if (o.guard) router.use(o.guard);
  router.get('/', (_req: Request, res: Response) => json(res, 200, { alarms: o.alarms.list() }));
  router.post('/:lot/:alarm/ack', (req: Request, res: Response) => {
    const origin = req.headers.origin;
    if (origin && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.headers.host) return json(res, 403, { error: `a request from ${origin} may not acknowledge alarms here` });
    }
    const { lot, alarm } = req.params;
    const problem = idProblem('lot', lot) ?? idProblem('alarm', alarm);
    if (problem) return json(res, 400, { error: problem });
    if (!o.alarms.acknowledge(lot, alarm)) return json(res, 404, { error: `no active alarm ${alarm} at lot ${lot}` });
    return json(res, 200, { acknowledged: true, lot, alarm });
  });
  return router;
}
