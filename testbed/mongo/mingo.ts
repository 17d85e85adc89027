// mingo, set up once. mingo copies its whole operator table into a fresh
// Context every time options are built (once per query, update and
// expression). Our contexts are never changed after start (every operator is
// loaded, and adding an operator that exists is a no-op), so a context may be
// shared: this removes most of the stand-in's per-write CPU cost.
import { Context } from 'mingo/core';

const from = Context.from.bind(Context);
(Context as unknown as { from: (...ctx: Context[]) => Context }).from = (...ctx: Context[]) => (ctx.length === 1 ? ctx[0] : from(...ctx));

export { Aggregator, Query, aggregate, find, update } from 'mingo';
