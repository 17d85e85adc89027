// parking-report: runs a report (revenue per day and lot, occupancy per car, open
// sessions, sessions) when a message arrives; rows or CSV out.
import { parseReportQuery, reportCsv, reportFileName, runReport, type ReportFormat, type ReportKind } from '../../billing/index.ts';
import type { MongodbNode } from './mongodb.ts';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './red.ts';
import { deployedTariff, type TariffNode } from './tariff.ts';

export interface ReportDef extends NodeDef {
  mongodb: string;
  /** Optional: prices open sessions (what leaving now would cost); default the deployed tariff with the session's tariff id. */
  tariff?: string;
  report: ReportKind;
  format: ReportFormat;
  /** UTC offset of local days, e.g. `+07:00`. */
  tz: string;
  /** `clear`: plates in clear; anything else: masked. */
  plates?: string;
}

const PARAMETERS = ['report', 'from', 'to', 'lot', 'format', 'tz'] as const;

/** Parameters from the message: `msg.report`, `msg.from`…, or the same keys in an object payload, or an http in request's query. */
export function reportParameters(msg: NodeMessage): Record<string, unknown> {
  const sources = [(msg.req as { query?: Record<string, unknown> } | undefined)?.query, msg.payload, msg].filter((s): s is Record<string, unknown> => !!s && typeof s === 'object' && !Buffer.isBuffer(s));
  const params: Record<string, unknown> = {};
  for (const source of sources) {
    for (const key of PARAMETERS) if (source[key] !== undefined && source[key] !== '') params[key] = source[key];
  }
  return { ...params, kind: params.report };
}

export function registerReport(RED: NodeAPI): void {
  RED.nodes.registerType<ReportDef, Node>('parking-report', function (def) {
    RED.nodes.createNode(this, def);
    reportNode(RED, this, def);
  });
}

function reportNode(RED: NodeAPI, node: Node, def: ReportDef): void {
  const mongo = RED.nodes.getNode(def.mongodb) as MongodbNode | null;
  const tariffs = def.tariff ? (RED.nodes.getNode(def.tariff) as TariffNode | null) : null;
  if (!mongo) node.status({ fill: 'red', shape: 'ring', text: 'no MongoDB connection (parking-mongodb) configured' });

  node.on('input', (msg, send, done) => {
    if (!mongo) return done(new Error('no MongoDB connection (parking-mongodb) configured'));
    let query;
    try {
      query = parseReportQuery(reportParameters(msg), Date.now(), { kind: def.report, format: def.format, utcOffset: (def.tz ?? '').trim() || undefined });
    } catch (err) {
      msg.statusCode = 400;
      return done(err as Error);
    }
    const q = query;
    node.status({ fill: 'blue', shape: 'ring', text: `${q.kind}…` });
    // Reads only (a secondary will do during an election): no need to wait for the indexes.
    const readable = mongo.readable();
    (readable ? Promise.resolve(readable) : mongo.collections())
      .then((c) => runReport(c.sessions, q, { tariffFor: (id) => tariffs?.tariff ?? deployedTariff(id), clearPlates: def.plates === 'clear' }))
      .then((report) => {
        const info = { kind: report.kind, from: report.from, to: report.to, lot: report.lot, utcOffset: report.utcOffset, columns: report.columns, count: report.rows.length };
        if (q.format === 'csv') {
          const filename = reportFileName(report);
          send({ ...msg, payload: reportCsv(report), report: info, filename, headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"` } });
        } else {
          send({ ...msg, payload: report.rows, report: info });
        }
        node.status({ fill: 'green', shape: 'dot', text: `${report.kind}: ${report.rows.length} rows` });
        done();
      })
      .catch((err: Error) => {
        node.status({ fill: 'red', shape: 'ring', text: err.message.slice(0, 60) });
        done(err);
      });
  });
}
