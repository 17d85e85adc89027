// hello and the other administrative commands: ping, buildInfo, sessions,
// replica-set status, stepdown, shutdown, fail points and the testbed's fault controls.
import { Long, type Document } from 'bson';
import type { CommandSpec } from '../context.ts';
import { Codes, ServerError } from '../errors.ts';
import { configureFailPoint as configure, waitForFailPoint as waitFor } from '../failpoint.ts';

export const VERSION = '7.0.0';

export const hello: CommandSpec = {
  access: 'any',
  async handler(ctx) {
    const cmd = ctx.command;
    const tv = cmd.topologyVersion as Document | undefined;
    if (tv && cmd.maxAwaitTimeMS !== undefined) {
      const counter = tv.counter instanceof Long ? tv.counter.toBigInt() : BigInt(tv.counter ?? 0);
      await ctx.rs.topologyChange(ctx.member, counter, Number(cmd.maxAwaitTimeMS));
    }
    return ctx.rs.hello(ctx.member, cmd);
  },
};

export const ping: CommandSpec = { access: 'any', handler: () => ({ ok: 1 }) };

export const buildInfo: CommandSpec = {
  access: 'any',
  handler: () => ({
    version: VERSION,
    gitVersion: 'parking-testbed-standin',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: 16 * 1024 * 1024,
    storageEngines: ['inMemory'],
    javascriptEngine: 'none',
    standIn: 'MongoDB replica-set stand-in for development and tests: never for production',
    ok: 1,
  }),
};

export const endSessions: CommandSpec = { access: 'any', handler: () => ({ ok: 1 }) };

export const serverStatus: CommandSpec = {
  access: 'any',
  handler: (ctx) => ({
    host: ctx.member.host,
    version: VERSION,
    process: 'mongod',
    uptime: Math.round(process.uptime()),
    localTime: new Date(),
    repl: ctx.rs.hello(ctx.member, {}),
    ok: 1,
  }),
};

export const replSetGetStatus: CommandSpec = { access: 'any', handler: (ctx) => ctx.rs.status(ctx.member) };

export const replSetStepDown: CommandSpec = {
  access: 'any',
  handler(ctx) {
    if (!ctx.member.isPrimary()) throw new ServerError(Codes.NotWritablePrimary, 'not primary so can\'t step down');
    return ctx.rs.control('stepDown', ctx.member, ctx.command);
  },
};

export const shutdown: CommandSpec = { access: 'any', handler: (ctx) => ctx.rs.control('shutdown', ctx.member, ctx.command) };

/**
 * `{testbedFault: 'stepDown'|'kill'|'restart'|'partition'|'heal'|'electionDelay', member?: i, handoff?: bool, ms?: n | [min, max]}`:
 * the stand-in's own fault controls, usable from any client or `parking testbed mongo-fault`.
 */
export const testbedFault: CommandSpec = {
  access: 'any',
  handler: (ctx) => ctx.rs.control(String(ctx.command.testbedFault), ctx.member, ctx.command),
};

/**
 * `{configureFailPoint: 'failCommand', mode: 'alwaysOn'|'off'|{times: n}|{skip: n}|{activationProbability: p}, data}`:
 * mongod's test command, on the member it is sent to (failpoint.ts). Answers `{count}`, the times it fired so far.
 */
export const configureFailPoint: CommandSpec = { access: 'any', handler: (ctx) => configure(ctx.member, ctx.db, ctx.command) };

/** `{waitForFailPoint: 'failCommand', timesEntered: n, maxTimeMS}`: waits until the fail point fired n times in all. */
export const waitForFailPoint: CommandSpec = { access: 'any', handler: (ctx) => waitFor(ctx.member, ctx.db, ctx.command) };

const unsupported = (what: string): CommandSpec => ({
  access: 'any',
  handler: () => {
    throw new ServerError(Codes.IllegalOperation, `${what} is not supported by the MongoDB stand-in; use a real replica set (MONGODB_URI)`);
  },
});

export const transactions = unsupported('multi-document transactions');
