// create, drop, listCollections, dropDatabase and listDatabases.
import type { Document } from 'bson';
import { Query } from '../mingo.ts';
import type { CommandSpec } from '../context.ts';
import { ArraySource } from '../cursors.ts';
import { Codes, ServerError } from '../errors.ts';
import { collectionName } from './names.ts';
import { refuseCollation } from './options.ts';

const CREATE_OPTIONS = ['timeseries', 'expireAfterSeconds', 'capped', 'size', 'max', 'validator', 'validationLevel', 'validationAction', 'clusteredIndex', 'changeStreamPreAndPostImages'];

export const create: CommandSpec = {
  access: 'write',
  handler(ctx) {
    const name = collectionName(ctx.command.create);
    refuseCollation(ctx.command);
    if (ctx.store.collection(ctx.db, name)) {
      throw new ServerError(Codes.NamespaceExists, `Collection ${ctx.db}.${name} already exists.`);
    }
    const options: Document = {};
    for (const key of CREATE_OPTIONS) if (ctx.command[key] !== undefined) options[key] = ctx.command[key];
    if (options.timeseries && typeof options.timeseries.timeField !== 'string') {
      throw new ServerError(Codes.BadValue, "BSON field 'create.timeseries.timeField' is missing but a required field");
    }
    ctx.store.ensureCollection(ctx.db, name, options);
    return { ok: 1 };
  },
};

export const drop: CommandSpec = {
  access: 'write',
  handler(ctx) {
    const name = collectionName(ctx.command.drop);
    const coll = ctx.store.collection(ctx.db, name);
    const nIndexesWas = coll?.indexes.length ?? 0;
    ctx.store.dropCollection(ctx.db, name);
    return { nIndexesWas, ns: `${ctx.db}.${name}`, ok: 1 };
  },
};

export const dropDatabase: CommandSpec = {
  access: 'write',
  handler(ctx) {
    ctx.store.dropDatabase(ctx.db);
    return { dropped: ctx.db, ok: 1 };
  },
};

export const listCollections: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const colls = [...(ctx.store.databases.get(ctx.db)?.values() ?? [])];
    let infos: Document[] = colls.map((c) => {
      const type = c.options.timeseries ? 'timeseries' : 'collection';
      const info: Document = { name: c.name, type, options: { ...c.options }, info: { readOnly: false } };
      if (type === 'collection') {
        info.info.uuid = c.uuid;
        info.idIndex = { v: 2, key: { _id: 1 }, name: '_id_' };
      }
      return info;
    });
    if (ctx.command.filter && Object.keys(ctx.command.filter).length) {
      const q = new Query(ctx.command.filter);
      infos = infos.filter((i) => q.test(i));
    }
    if (ctx.command.nameOnly) infos = infos.map((i) => ({ name: i.name, type: i.type }));
    return ctx.member.cursors.create(`${ctx.db}.$cmd.listCollections`, new ArraySource(infos), ctx.command.cursor?.batchSize ?? 101);
  },
};

export const listDatabases: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const databases = [...ctx.store.databases.entries()]
      .filter(([, colls]) => colls.size > 0)
      .map(([name, colls]) => {
        let size = 0;
        for (const c of colls.values()) size += c.docs.size * 256;
        return { name, sizeOnDisk: size, empty: size === 0 };
      });
    if (ctx.command.nameOnly) return { databases: databases.map((d) => ({ name: d.name })), ok: 1 };
    return { databases, totalSize: databases.reduce((s, d) => s + d.sizeOnDisk, 0), totalSizeMb: 0, ok: 1 };
  },
};
