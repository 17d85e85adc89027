// insert, update, delete and findAndModify.
import type { Document } from 'bson';
import type { CommandSpec, Context } from '../context.ts';
import { ServerError, badValue, writeError } from '../errors.ts';
import { select } from '../query.ts';
import { sortDocuments } from '../order.ts';
import { runUpdate, type UpdateStatement } from '../update.ts';
import { collectionName } from './names.ts';
import { find as mingoFind } from '../mingo.ts';
import { checkStatements, refuseCollation } from './options.ts';
import { checkFilterVariables, checkPipelineVariables, letScope, type LetScope } from '../variables.ts';

/** Fails with 17276 when an update uses a `$$name` that nothing defines. */
function checkUpdateVariables(statement: UpdateStatement, scope: LetScope): void {
  checkFilterVariables(statement.q, scope.names);
  if (Array.isArray(statement.u)) checkPipelineVariables(statement.u, scope.names);
  for (const filter of statement.arrayFilters ?? []) checkFilterVariables(filter, scope.names);
}

function eachStatement<T>(items: T[], ordered: boolean, run: (item: T, index: number) => void): Document[] {
  const errors: Document[] = [];
  items.forEach((item, index) => {
    if (ordered && errors.length) return;
    try {
      run(item, index);
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      errors.push(writeError(index, err));
    }
  });
  return errors;
}

function withErrors(reply: Document, errors: Document[]): Document {
  return errors.length ? { ...reply, writeErrors: errors } : reply;
}

export const insert: CommandSpec = {
  access: 'write',
  retryable: true,
  handler(ctx: Context) {
    const name = collectionName(ctx.command.insert);
    const docs = ctx.command.documents;
    if (!Array.isArray(docs)) throw badValue("BSON field 'insert.documents' is missing but a required field");
    const coll = ctx.store.ensureCollection(ctx.db, name);
    let n = 0;
    const errors = eachStatement(docs as Document[], ctx.command.ordered !== false, (doc) => {
      coll.insert(doc);
      n += 1;
    });
    return withErrors({ n, ok: 1 }, errors);
  },
};

export const update: CommandSpec = {
  access: 'write',
  retryable: true,
  handler(ctx: Context) {
    const name = collectionName(ctx.command.update);
    const statements = ctx.command.updates;
    if (!Array.isArray(statements)) throw badValue("BSON field 'update.updates' is missing but a required field");
    refuseCollation(ctx.command);
    checkStatements(ctx.command, 'updates');
    const scope = letScope(ctx.command);
    const coll = ctx.store.ensureCollection(ctx.db, name);
    let n = 0;
    let nModified = 0;
    const upserted: Document[] = [];
    const errors = eachStatement(statements as UpdateStatement[], ctx.command.ordered !== false, (statement, index) => {
      checkUpdateVariables(statement, scope);
      const result = runUpdate(coll, statement, !statement.multi, scope.values);
      n += result.n;
      nModified += result.nModified;
      if (result.upsertedId !== undefined) upserted.push({ index, _id: result.upsertedId });
    });
    return withErrors({ n, nModified, ...(upserted.length ? { upserted } : {}), ok: 1 }, errors);
  },
};

export const del: CommandSpec = {
  access: 'write',
  retryable: true,
  handler(ctx: Context) {
    const name = collectionName(ctx.command.delete);
    const statements = ctx.command.deletes;
    if (!Array.isArray(statements)) throw badValue("BSON field 'delete.deletes' is missing but a required field");
    refuseCollation(ctx.command);
    checkStatements(ctx.command, 'deletes');
    const scope = letScope(ctx.command);
    const coll = ctx.store.collection(ctx.db, name);
    let n = 0;
    const errors = eachStatement(statements as Document[], ctx.command.ordered !== false, (statement) => {
      checkFilterVariables(statement.q, scope.names);
      for (const doc of select(coll, statement.q, statement.limit === 1 ? 1 : 0, scope.values)) {
        coll!.remove(doc);
        n += 1;
      }
    });
    return withErrors({ n, ok: 1 }, errors);
  },
};

export const findAndModify: CommandSpec = {
  access: 'write',
  retryable: true,
  handler(ctx: Context) {
    const cmd = ctx.command;
    const name = collectionName(cmd.findAndModify ?? cmd.findandmodify);
    if (!cmd.remove && cmd.update === undefined) throw badValue('Either an update or remove=true must be specified');
    if (cmd.remove && cmd.upsert) throw badValue('Cannot specify both an upsert and remove=true');
    refuseCollation(cmd);
    const scope = letScope(cmd);
    checkUpdateVariables({ q: cmd.query, u: cmd.update ?? {}, arrayFilters: cmd.arrayFilters }, scope);
    const coll = ctx.store.ensureCollection(ctx.db, name);
    let target = select(coll, cmd.query, cmd.sort ? 0 : 1, scope.values);
    if (cmd.sort) target = sortDocuments(target, cmd.sort).slice(0, 1);
    const project = (doc: Document | undefined) =>
      doc && cmd.fields && Object.keys(cmd.fields).length ? (mingoFind([doc], {}, cmd.fields).all()[0] as Document) : doc ?? null;
    if (cmd.remove) {
      const doc = target[0];
      if (doc) coll.remove(doc);
      return { lastErrorObject: { n: doc ? 1 : 0 }, value: project(doc), ok: 1 };
    }
    const doc = target[0];
    const q = doc ? { ...(cmd.query ?? {}), _id: doc._id } : cmd.query ?? {};
    const result = runUpdate(coll, { q, u: cmd.update, upsert: !!cmd.upsert, arrayFilters: cmd.arrayFilters }, true, scope.values);
    const lastErrorObject: Document = { n: result.n, updatedExisting: result.upsertedId === undefined && result.n > 0 };
    if (result.upsertedId !== undefined) lastErrorObject.upserted = result.upsertedId;
    const value = cmd.new ? result.after : result.before;
    return { lastErrorObject, value: project(value), ok: 1 };
  },
};
