// Change streams resuming through the failCommand fail point on getMore. The
// platform itself opens no change stream (only the benchmark harness's latency
// probe does, bench/harness.ts), so this checks the driver's resumable change
// stream over the stand-in: after a resumable error (91 with its label, or a
// closed connection) it resumes from its token and delivers every event exactly
// once, in order; after an error that is not resumable it reports the error.
import { expect } from 'chai';
import { MongoServerError, type ChangeStream, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import { failPointRig, type FailPointRig } from '../helpers/failpoint.ts';
import { nextChange, rejection, startTestMongo, type TestMongo } from '../helpers/mongo.ts';

const APP = 'changestream-under-test';

describe('change streams resume after the failCommand fail point on getMore', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let admin: Db;
  let check: Db;
  let db: Db;
  let rig: FailPointRig;
  let commands: CommandStartedEvent[];
  const streams: ChangeStream<Document>[] = [];
  let n = 0;

  const failCommand = (mode: unknown, data: Document) => rig.failCommand(mode, data);
  const fired = (since: number) => rig.fired(since);
  const aggregates = () => commands.filter((c) => c.commandName === 'aggregate');

  /** A stream on a fresh collection, its server cursor open (the first getMore answered) before it returns. */
  async function open(): Promise<{ cs: ChangeStream<Document>; name: string }> {
    const name = `fpcs${++n}`;
    await check.createCollection(name);
    const cs = db.collection(name).watch();
    streams.push(cs);
    expect(await cs.tryNext()).to.equal(null);
    commands.length = 0;
    return { cs, name };
  }

  before(async function () {
    m = await startTestMongo();
    rig = failPointRig(m, APP);
    ({ admin, check, db, commands } = rig);
  });

  afterEach(async function () {
    await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
    await Promise.all(streams.splice(0).map((cs) => cs.close().catch(() => undefined)));
  });

  after(async function () {
    await m?.close();
  });

  for (const [what, data] of [
    ['91 ShutdownInProgress (ResumableChangeStreamError)', { errorCode: 91 }],
    ['a closed connection', { closeConnection: true }],
  ] as const) {
    it(`resumes after ${what} and delivers every event once, in order`, async function () {
      const { cs, name } = await open();
      const coll = check.collection<any>(name);
      await coll.insertOne({ _id: 1 });
      expect((await nextChange(cs, 'first insert')).documentKey).to.deep.equal({ _id: 1 });
      const token = cs.resumeToken;
      const since = await failCommand({ times: 1 }, { failCommands: ['getMore'], ...data });
      await coll.insertOne({ _id: 2 });
      await coll.insertOne({ _id: 3 });
      const seen = [(await nextChange(cs, 'after the failure')).documentKey._id, (await nextChange(cs, 'third insert')).documentKey._id];
      expect(seen).to.deep.equal([2, 3]);
      expect(await fired(since), 'the getMore failed once').to.equal(1);
      const resumed = aggregates();
      expect(resumed, 'one new aggregate: the resume').to.have.lengthOf(1);
      expect(resumed[0].command.pipeline[0].$changeStream.resumeAfter, 'resumed after the last event seen').to.deep.equal(token);
      await coll.insertOne({ _id: 4 });
      expect((await nextChange(cs, 'after the resume')).documentKey).to.deep.equal({ _id: 4 });
      expect(await cs.tryNext(), 'nothing delivered twice').to.equal(null);
    });
  }

  it('reports an error that is not resumable (2 BadValue) and does not resume', async function () {
    const { cs, name } = await open();
    const since = await failCommand({ times: 1 }, { failCommands: ['getMore'], errorCode: 2 });
    await check.collection<any>(name).insertOne({ _id: 1 });
    const err = await rejection(cs.next());
    expect(err).to.be.instanceOf(MongoServerError);
    expect(err.code).to.equal(2);
    expect(err.hasErrorLabel('ResumableChangeStreamError')).to.equal(false);
    expect(await fired(since)).to.equal(1);
    expect(aggregates(), 'no resume attempted').to.have.lengthOf(0);
    expect(cs.closed).to.equal(true);
  });
});
