// The command table: one entry per command name, as the server dispatches them.
import type { CommandSpec } from '../context.ts';
import * as admin from './admin.ts';
import { aggregate, count, distinct } from './aggregate.ts';
import { create, drop, dropDatabase, listCollections, listDatabases } from './collections.ts';
import { del, findAndModify, insert, update } from './crud.ts';
import { find, getMore, killCursors } from './find.ts';
import { createIndexes, dropIndexes, listIndexes } from './indexes.ts';

export const commands: Record<string, CommandSpec> = {
  hello: admin.hello,
  isMaster: admin.hello,
  ismaster: admin.hello,
  ping: admin.ping,
  buildInfo: admin.buildInfo,
  buildinfo: admin.buildInfo,
  endSessions: admin.endSessions,
  serverStatus: admin.serverStatus,
  replSetGetStatus: admin.replSetGetStatus,
  replSetStepDown: admin.replSetStepDown,
  shutdown: admin.shutdown,
  testbedFault: admin.testbedFault,
  configureFailPoint: admin.configureFailPoint,
  waitForFailPoint: admin.waitForFailPoint,
  commitTransaction: admin.transactions,
  abortTransaction: admin.transactions,
  insert,
  update,
  delete: del,
  findAndModify,
  findandmodify: findAndModify,
  find,
  getMore,
  killCursors,
  aggregate,
  count,
  distinct,
  create,
  drop,
  dropDatabase,
  listCollections,
  listDatabases,
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
};
