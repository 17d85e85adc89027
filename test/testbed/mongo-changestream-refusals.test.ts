// Change streams as MongoDB 7.0 answers them where the stand-in used to
// differ: the delta of a pipeline-style update (truncatedArrays, nested
// paths, a replacement when the delta is not smaller than the document), the
// stages a change stream allows (40324, 20), a pipeline that removes the
// resume token (280), and showExpandedEvents (refused, 238).
import { expect } from 'chai';
import type { ChangeStream, Collection, Db, MongoClient } from 'mongodb';
import { expectServerError, nextChange, requireStandIn, startTestMongo, type TestMongo } from '../helpers/mongo.ts';

describe('mongo stand-in: change stream events and refusals', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;
  let c: Collection<any>;
  let n = 0;
  const streams: ChangeStream<any, any>[] = [];

  /** A change stream whose server cursor is open before the test writes. */
  async function watch(pipeline: object[] = [], options: object = {}): Promise<ChangeStream<any, any>> {
    const cs = c.watch(pipeline, options);
    streams.push(cs);
    expect(await cs.tryNext()).to.equal(null);
    return cs;
  }

  before(async function () {
    m = await startTestMongo();
    client = m.client();
    db = client.db(m.dbName);
  });

  beforeEach(async function () {
    c = db.collection(`cs${++n}`);
    await db.createCollection(c.collectionName);
  });

  afterEach(async function () {
    await Promise.all(streams.splice(0).map((cs) => cs.close().catch(() => undefined)));
  });

  after(async function () {
    await m?.close();
  });

  describe('pipeline-style updates', function () {
    it('an array made shorter is reported in truncatedArrays', async function () {
      // The unified change-stream spec test "Test array truncation".
      await c.insertOne({ _id: 1, a: 1, array: ['foo', { a: 'bar' }, 1, 2, 3] });
      const cs = await watch();
      await c.updateOne({ _id: 1 }, [{ $set: { array: ['foo', { a: 'bar' }] } }]);
      const ev = await nextChange(cs, 'update');
      expect(ev.operationType).to.equal('update');
      expect(ev.updateDescription).to.deep.equal({ updatedFields: {}, removedFields: [], truncatedArrays: [{ field: 'array', newSize: 2 }] });
    });

    it('changes inside embedded documents and arrays are reported by path', async function () {
      const big = '*'.repeat(512);
      await c.insertOne({ _id: 100, a: 1, b: 2, obj: { a: 1, b: 2, str: big }, arr: [{ x: 1, s: big }, 2, 3] });
      const cs = await watch();
      await c.updateOne({ _id: 100 }, [{ $replaceRoot: { newRoot: { _id: 100, b: 2, obj: { a: 2, b: 2, str: big }, arr: [{ x: 5, s: big }, 2], c: 'new' } } }]);
      const ev = await nextChange(cs, 'update');
      expect(ev.operationType).to.equal('update');
      expect(ev.updateDescription).to.deep.equal({
        updatedFields: { c: 'new', 'obj.a': 2, 'arr.0.x': 5 },
        removedFields: ['a'],
        truncatedArrays: [{ field: 'arr', newSize: 2 }],
      });
    });

    it('a delta not smaller than the new document makes the event a replace, as MongoDB logs it', async function () {
      await c.insertOne({ _id: 1, a: 1 });
      const cs = await watch();
      await c.updateOne({ _id: 1 }, [{ $set: { a: 2 } }]);
      const ev = await nextChange(cs, 'replace');
      expect(ev.operationType).to.equal('replace');
      expect(ev.fullDocument).to.deep.equal({ _id: 1, a: 2 });
      expect(ev).to.not.have.property('updateDescription');
    });
  });

  describe('the change stream pipeline', function () {
    it('an unknown stage fails with 40324; a stage change streams do not allow with IllegalOperation (20)', async function () {
      await expectServerError(c.watch([{ $nope: {} }]).tryNext(), 40324);
      await expectServerError(c.watch([{ $group: { _id: null } }]).tryNext(), 20);
    });

    it('an event whose _id (the resume token) was removed fails with ChangeStreamFatalError (280)', async function () {
      const cs = await watch([{ $project: { _id: 0 } }]);
      await c.insertOne({ _id: 1 });
      const err = await expectServerError(cs.next(), 280);
      expect(err.message).to.match(/^Encountered an event whose _id field, which contains the resume token, was modified by the pipeline/);
    });

    it('keeping _id is fine', async function () {
      const cs = await watch([{ $project: { operationType: 1, documentKey: 1 } }]);
      await c.insertOne({ _id: 1 });
      const ev = await nextChange(cs, 'insert');
      expect(ev).to.have.all.keys('_id', 'operationType', 'documentKey');
      expect(ev.documentKey).to.deep.equal({ _id: 1 });
    });
  });

  describe('options', function () {
    it('an unknown $changeStream option fails with 40415', async function () {
      await expectServerError(db.command({ aggregate: c.collectionName, pipeline: [{ $changeStream: { nope: true } }], cursor: {} }), 40415);
    });

    it('showExpandedEvents is refused (238)', async function () {
      requireStandIn(this, m, 'the stand-in refuses showExpandedEvents');
      const err = await expectServerError(c.watch([], { showExpandedEvents: true }).tryNext(), 238);
      expect(err.message).to.match(/showExpandedEvents .* is not supported by the MongoDB stand-in/);
      // false is the default and accepted
      await watch([], { showExpandedEvents: false });
    });
  });
});
