// The stand-in's configureFailPoint / failCommand, driven through the unmodified
// driver as the drivers' own tests drive mongod: modes, the listed commands only,
// error replies and their labels, closeConnection, blockConnection,
// writeConcernError, appName, per-member state, and mongod's errors.
import { expect } from 'chai';
import { MongoNetworkError, MongoServerError, MongoWriteConcernError, type Db, type Document, type MongoClient } from 'mongodb';
import { expectServerError, primaryHello, rejection, startTestMongo, uriHosts, type TestMongo } from '../helpers/mongo.ts';

describe('mongo stand-in: configureFailPoint (failCommand)', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let client: MongoClient;
  let admin: Db;
  let db: Db;
  let n = 0;
  const fresh = () => db.collection<any>(`fp${++n}`);
  const failCommand = (mode: unknown, data: Document = {}) => admin.command({ configureFailPoint: 'failCommand', mode, data });
  const off = () => admin.command({ configureFailPoint: 'failCommand', mode: 'off' });

  before(async function () {
    m = await startTestMongo();
    client = m.client();
    admin = client.db('admin');
    db = client.db(m.dbName);
    await db.command({ ping: 1 });
  });

  afterEach(async function () {
    await off();
  });

  after(async function () {
    await m?.close();
  });

  it('fails a listed command {times: n} with the code, codeName, message and the given labels, then lets it through', async function () {
    const c = fresh();
    const { count: before } = await failCommand({ times: 2 }, { failCommands: ['insert'], errorCode: 2, errorLabels: ['SomeLabel'] });
    for (let i = 0; i < 2; i++) {
      const err = await expectServerError(c.insertOne({ _id: i }), 2);
      expect(err.codeName).to.equal('BadValue');
      expect(err.errmsg).to.equal("Failing command via 'failCommand' failpoint");
      expect(err.errorLabels).to.deep.equal(['SomeLabel']);
    }
    await c.insertOne({ _id: 'through' });
    expect(await c.find().toArray()).to.deep.equal([{ _id: 'through' }]);
    const { count: after } = await off();
    expect(after - before, 'times the fail point fired').to.equal(2);
  });

  it('fails only the listed commands: find, ping and hello run while insert fails, and configureFailPoint is never failed', async function () {
    const c = fresh();
    await c.insertOne({ _id: 1 });
    await failCommand('alwaysOn', { failCommands: ['insert', 'configureFailPoint'], errorCode: 2 });
    expect(await c.find().toArray()).to.deep.equal([{ _id: 1 }]);
    expect((await db.command({ ping: 1 })).ok).to.equal(1);
    expect((await admin.command({ hello: 1 })).isWritablePrimary).to.equal(true);
    await expectServerError(c.insertOne({ _id: 2 }), 2);
    // configureFailPoint itself is exempt even when listed, so the fail point can be turned off.
    await failCommand('alwaysOn', { failCommands: ['insert', 'configureFailPoint'], errorCode: 2 });
    await off();
    await c.insertOne({ _id: 2 });
    expect(await c.countDocuments()).to.equal(2);
  });

  it('matches a command by any of its names (findandmodify, isMaster)', async function () {
    const c = fresh();
    await c.insertOne({ _id: 1, v: 0 });
    await failCommand({ times: 1 }, { failCommands: ['findandmodify'], errorCode: 2 });
    await expectServerError(c.findOneAndUpdate({ _id: 1 }, { $inc: { v: 1 } }), 2);
    await failCommand({ times: 1 }, { failCommands: ['hello'], errorCode: 2 });
    await expectServerError(admin.command({ isMaster: 1 }), 2);
  });

  it('{skip: n} lets the first n matching commands through, then fails every one', async function () {
    const c = fresh();
    await failCommand({ skip: 1 }, { failCommands: ['insert'], errorCode: 2 });
    await c.insertOne({ _id: 1 });
    await expectServerError(c.insertOne({ _id: 2 }), 2);
    await expectServerError(c.insertOne({ _id: 3 }), 2);
    await off();
    expect(await c.countDocuments()).to.equal(1);
  });

  it('labels a retryable error RetryableWriteError by default, so the driver retries it; errorLabels: [] takes the label away', async function () {
    const c = fresh();
    const { count: before } = await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 91 });
    await c.insertOne({ _id: 'retried' });
    const { count: after } = await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 91, errorLabels: [] });
    expect(after - before, 'the driver met the error once and retried').to.equal(1);
    const err = await expectServerError(c.insertOne({ _id: 'not retried' }), 91);
    expect(err.codeName).to.equal('ShutdownInProgress');
    expect(err.hasErrorLabel('RetryableWriteError')).to.equal(false);
    expect(await c.find().toArray()).to.deep.equal([{ _id: 'retried' }]);
  });

  it('closeConnection hangs up without a reply and without running the command', async function () {
    const plain = m.client({ retryWrites: false, retryReads: false });
    const c = plain.db(m.dbName).collection<any>(`fp${++n}`);
    await c.insertOne({ _id: 0 });
    await failCommand({ times: 1 }, { failCommands: ['insert'], closeConnection: true });
    const err = await rejection(c.insertOne({ _id: 1 }));
    expect(err, `${err?.name}: ${err?.message}`).to.be.instanceOf(MongoNetworkError);
    await c.insertOne({ _id: 2 });
    expect((await c.find().toArray()).map((d) => d._id)).to.deep.equal([0, 2]);
    await plain.close();
  });

  it('blockConnection delays the command blockTimeMS, then runs it (or fails it with errorCode)', async function () {
    const c = fresh();
    await failCommand({ times: 1 }, { failCommands: ['insert'], blockConnection: true, blockTimeMS: 300 });
    let started = Date.now();
    await c.insertOne({ _id: 1 });
    expect(Date.now() - started).to.be.at.least(300);
    await failCommand({ times: 1 }, { failCommands: ['insert'], blockConnection: true, blockTimeMS: 200, errorCode: 2 });
    started = Date.now();
    await expectServerError(c.insertOne({ _id: 2 }), 2);
    expect(Date.now() - started).to.be.at.least(200);
    await failCommand({ times: 1 }, { failCommands: ['insert'], blockConnection: true });
    const err = await expectServerError(c.insertOne({ _id: 3 }), 72);
    expect(err.message).to.equal("must specify 'blockTimeMS' when 'blockConnection' is true");
    expect(await c.countDocuments()).to.equal(1);
  });

  it('writeConcernError: the write is applied and the reply carries the error; with RetryableWriteError the retry applies nothing twice', async function () {
    const plain = m.client({ retryWrites: false });
    const c = plain.db(m.dbName).collection<any>(`fp${++n}`);
    const wce = { code: 91, codeName: 'ShutdownInProgress', errmsg: 'Replication is being shut down' };
    await failCommand({ times: 1 }, { failCommands: ['insert'], writeConcernError: wce });
    const err = await rejection(c.insertOne({ _id: 1 }));
    expect(err).to.be.instanceOf(MongoWriteConcernError);
    expect(err.code).to.equal(91);
    expect(await c.find().toArray()).to.deep.equal([{ _id: 1 }]);

    const retrying = db.collection<any>(`fp${++n}`);
    const { count: before } = await failCommand({ times: 1 }, { failCommands: ['insert'], writeConcernError: wce, errorLabels: ['RetryableWriteError'] });
    await retrying.insertOne({ _id: 'once' });
    const { count: after } = await off();
    expect(after - before).to.equal(1);
    expect(await retrying.find().toArray()).to.deep.equal([{ _id: 'once' }]);
    // Not a write: a find is not affected by a writeConcernError-only fail point.
    await failCommand('alwaysOn', { failCommands: ['find', 'insert'], writeConcernError: wce });
    expect(await c.find().toArray()).to.deep.equal([{ _id: 1 }]);
  });

  it('appName restricts it to the connections whose handshake gave that appName', async function () {
    const other = m.client({ appName: 'failpoint-other' });
    const otherColl = other.db(m.dbName).collection<any>(`fp${++n}`);
    const c = db.collection<any>(otherColl.collectionName);
    await failCommand('alwaysOn', { failCommands: ['insert'], errorCode: 2, appName: 'failpoint-other' });
    await c.insertOne({ _id: 'default app' });
    await expectServerError(otherColl.insertOne({ _id: 'other app' }), 2);
    await off();
    await otherColl.insertOne({ _id: 'other app' });
    expect(await c.countDocuments()).to.equal(2);
    await other.close();
  });

  it('is per member: set on a secondary it leaves the primary alone; a crashed member restarts with it off', async function () {
    const primary = (await primaryHello(m)).me as string;
    const secondary = uriHosts(m.uri).find((h) => h !== primary)!;
    const direct = m.directClient(secondary);
    await direct.db('admin').command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { failCommands: ['ping'], errorCode: 2 } });
    await expectServerError(direct.db('admin').command({ ping: 1 }), 2);
    expect((await db.command({ ping: 1 })).ok).to.equal(1);
    if (m.rs) {
      const index = m.rs.statuses().find((s) => s.host === secondary)!.index;
      await m.rs.kill(index);
      await m.rs.restart(index);
      // The direct client's old connection died with the member: the first attempt may meet that.
      const ping = () => direct.db('admin').command({ ping: 1 });
      const reply = await ping().catch((err) => {
        if (err instanceof MongoNetworkError) return ping();
        throw err;
      });
      expect(reply.ok).to.equal(1);
    }
    await direct.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
    await direct.close();
  });

  it('waitForFailPoint waits until the fail point fired, and fails with MaxTimeMSExpired when it does not', async function () {
    const c = fresh();
    const { count } = await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 2, errorLabels: [] });
    const waiting = admin.command({ waitForFailPoint: 'failCommand', timesEntered: count + 1, maxTimeMS: 10_000 });
    await expectServerError(c.insertOne({ _id: 1 }), 2);
    expect((await waiting).ok).to.equal(1);
    await expectServerError(admin.command({ waitForFailPoint: 'failCommand', timesEntered: count + 2, maxTimeMS: 50 }), 50);
  });

  it("refuses what mongod refuses: an unknown fail point, a bad mode or data, another database than admin", async function () {
    const unknown = await expectServerError(admin.command({ configureFailPoint: 'noSuchFailPoint', mode: 'alwaysOn' }), 266);
    expect(unknown.codeName).to.equal('FailPointSetFailed');
    expect(unknown.errmsg).to.equal('noSuchFailPoint not found');
    expect((await expectServerError(admin.command({ configureFailPoint: 'failCommand' }), 20)).errmsg).to.equal("When setting a failpoint, you must supply a 'mode'");
    expect((await expectServerError(failCommand('sometimes'), 2)).errmsg).to.equal('unknown mode: sometimes');
    expect((await expectServerError(failCommand({ times: -1 }), 2)).errmsg).to.equal("'times' option to 'mode' must be positive");
    await expectServerError(failCommand({ often: 1 }), 2);
    await expectServerError(failCommand(5), 14);
    await expectServerError(admin.command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: 'x' }), 14);
    await expectServerError(db.command({ configureFailPoint: 'failCommand', mode: 'off' }), 13);
    // Nothing was turned on by the refused commands.
    await fresh().insertOne({ _id: 1 });
  });

  it('answers an error fail point on getMore with ResumableChangeStreamError', async function () {
    const c = fresh();
    await c.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    await failCommand({ times: 1 }, { failCommands: ['getMore'], errorCode: 91 });
    const cursor = c.find({}, { batchSize: 1 });
    expect(await cursor.next()).to.deep.equal({ _id: 1 });
    const err = await rejection(cursor.toArray());
    expect(err).to.be.instanceOf(MongoServerError);
    expect(err.code).to.equal(91);
    expect(err.errorLabels).to.include('ResumableChangeStreamError');
    await cursor.close().catch(() => undefined);
  });
});
