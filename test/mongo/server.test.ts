// Conformance: handshake and server commands (hello, isMaster, ping, buildInfo,
// replSetGetStatus) and logical sessions. Assertions follow real MongoDB 7 replies.
import { expect } from 'chai';
import { Binary, Long, ObjectId, Timestamp, type MongoClient } from 'mongodb';
import { startTestMongo, uriHosts, type TestMongo } from '../helpers/mongo.ts';

describe('mongo conformance: server commands', function () {
  let m: TestMongo;
  let client: MongoClient;

  before(async function () {
    m = await startTestMongo();
    client = m.client();
  });

  after(async function () {
    await m?.close();
  });

  it('ping answers ok: 1', async function () {
    const r = await client.db('admin').command({ ping: 1 });
    expect(r.ok).to.equal(1);
    const r2 = await client.db(m.dbName).command({ ping: 1 });
    expect(r2.ok).to.equal(1);
  });

  it('hello on the primary: writable primary of the named replica set', async function () {
    const h = await client.db('admin').command({ hello: 1 });
    expect(h.ok).to.equal(1);
    expect(h.isWritablePrimary).to.equal(true);
    expect(h.secondary).to.equal(false);
    expect(h.setName).to.be.a('string').and.not.equal('');
    if (m.setName) expect(h.setName).to.equal(m.setName);
    expect(h.hosts).to.be.an('array').with.length.above(0);
    expect(h.me).to.be.a('string');
    expect(h.primary).to.equal(h.me);
    expect(h.hosts).to.include(h.me);
    if (m.kind === 'standin') {
      expect([...h.hosts].sort()).to.deep.equal([...uriHosts(m.uri)].sort());
    }
    expect(h.setVersion).to.be.a('number');
    expect(h.electionId).to.be.instanceOf(ObjectId);
    expect(h.maxBsonObjectSize).to.equal(16 * 1024 * 1024);
    expect(h.maxMessageSizeBytes).to.equal(48_000_000);
    expect(h.maxWriteBatchSize).to.equal(100_000);
    expect(h.localTime).to.be.instanceOf(Date);
    expect(h.logicalSessionTimeoutMinutes).to.equal(30);
    expect(h.minWireVersion).to.equal(0);
    expect(h.maxWireVersion, 'MongoDB 7.0 speaks wire version 21').to.be.at.least(21);
    expect(h.readOnly).to.equal(false);
    expect(h.connectionId).to.be.a('number');
    expect(h.topologyVersion).to.be.an('object');
    expect(h.topologyVersion.processId).to.be.instanceOf(ObjectId);
    expect(h.lastWrite).to.be.an('object');
    expect(h.lastWrite.lastWriteDate).to.be.instanceOf(Date);
    // replica-set members gossip cluster time
    expect(h.$clusterTime?.clusterTime).to.be.instanceOf(Timestamp);
    expect(h.operationTime).to.be.instanceOf(Timestamp);
  });

  it('legacy isMaster answers with ismaster: true', async function () {
    const h = await client.db('admin').command({ isMaster: 1 });
    expect(h.ok).to.equal(1);
    expect(h.ismaster).to.equal(true);
    expect(h.secondary).to.equal(false);
    expect(h.setName).to.be.a('string').and.not.equal('');
    expect(h.hosts).to.include(h.me);
  });

  it('buildInfo reports a MongoDB 7+ version', async function () {
    const b = await client.db('admin').command({ buildInfo: 1 });
    expect(b.ok).to.equal(1);
    expect(b.version).to.be.a('string').and.match(/^\d+\.\d+\.\d+/);
    const [major, minor, patch] = b.version.split(/[.-]/).map((x: string) => Number.parseInt(x, 10));
    expect(major).to.be.at.least(7);
    expect(b.versionArray).to.be.an('array').with.lengthOf(4);
    expect(b.versionArray.slice(0, 3)).to.deep.equal([major, minor, patch]);
    expect(b.maxBsonObjectSize).to.equal(16 * 1024 * 1024);
    expect(b.bits).to.equal(64);
    expect(b.gitVersion).to.be.a('string');
  });

  it('buildInfo also runs on a non-admin database', async function () {
    const b = await client.db(m.dbName).command({ buildInfo: 1 });
    expect(b.ok).to.equal(1);
    expect(b.version).to.be.a('string');
  });

  it('replSetGetStatus: one PRIMARY, the others SECONDARY, all healthy', async function () {
    const s = await client.db('admin').command({ replSetGetStatus: 1 });
    expect(s.ok).to.equal(1);
    expect(s.set).to.be.a('string');
    if (m.setName) expect(s.set).to.equal(m.setName);
    expect(s.myState).to.equal(1);
    expect(s.members).to.be.an('array').with.length.above(0);
    const primaries = s.members.filter((x: any) => x.state === 1);
    expect(primaries).to.have.lengthOf(1);
    expect(primaries[0].stateStr).to.equal('PRIMARY');
    for (const mem of s.members) {
      expect(mem._id).to.be.a('number');
      expect(mem.name).to.be.a('string');
      expect(mem.health).to.equal(1);
      if (mem.state !== 1) {
        expect(mem.state).to.equal(2);
        expect(mem.stateStr).to.equal('SECONDARY');
      }
    }
    const h = await client.db('admin').command({ hello: 1 });
    expect(s.members.map((x: any) => x.name).sort()).to.deep.equal([...h.hosts].sort());
    expect(primaries[0].name).to.equal(h.primary);
  });

  it('an unknown command fails with CommandNotFound (59)', async function () {
    let err: any;
    try {
      await client.db('admin').command({ noSuchCommandForConformance: 1 });
    } catch (e) {
      err = e;
    }
    expect(err, 'expected an error').to.not.equal(undefined);
    expect(err.code).to.equal(59);
    expect(err.codeName).to.equal('CommandNotFound');
  });

  describe('sessions', function () {
    it('a session is used for operations and ends', async function () {
      const coll = client.db(m.dbName).collection('sessions');
      const session = client.startSession();
      expect(session.id?.id).to.be.instanceOf(Binary);
      expect(session.id?.id.sub_type).to.equal(Binary.SUBTYPE_UUID);
      await coll.insertOne({ _id: 's1' as any, n: 1 }, { session });
      const doc = await coll.findOne({ _id: 's1' as any }, { session });
      expect(doc).to.deep.equal({ _id: 's1', n: 1 });
      // the server's reply advances the session's operation time (causal consistency)
      expect(session.operationTime).to.be.instanceOf(Timestamp);
      expect(session.clusterTime?.clusterTime).to.be.instanceOf(Timestamp);
      await session.endSession();
      expect(session.hasEnded).to.equal(true);
    });

    it('causally consistent session reads its own writes', async function () {
      const coll = client.db(m.dbName).collection('sessions');
      const session = client.startSession({ causalConsistency: true });
      try {
        for (let i = 0; i < 5; i++) {
          await coll.updateOne({ _id: 'cc' as any }, { $inc: { n: 1 } }, { upsert: true, session });
          const doc = await coll.findOne({ _id: 'cc' as any }, { session });
          expect(doc?.n).to.equal(i + 1);
        }
      } finally {
        await session.endSession();
      }
    });

    it('endSessions is accepted by the server', async function () {
      const session = client.startSession();
      await client.db(m.dbName).collection('sessions').findOne({}, { session });
      const r = await client.db('admin').command({ endSessions: [session.id] });
      expect(r.ok).to.equal(1);
      await session.endSession();
    });

    it('numbers in command replies keep their BSON types (Long cursor ids)', async function () {
      const coll = client.db(m.dbName).collection('cursorIds');
      await coll.insertMany(Array.from({ length: 5 }, (_, i) => ({ i })));
      const r = await client.db(m.dbName).command({ find: 'cursorIds', batchSize: 2 }, { promoteLongs: false });
      expect(r.cursor.id).to.be.instanceOf(Long);
      expect(r.cursor.id.isZero()).to.equal(false);
      expect(r.cursor.ns).to.equal(`${m.dbName}.cursorIds`);
      expect(r.cursor.firstBatch).to.have.lengthOf(2);
      await client.db(m.dbName).command({ killCursors: 'cursorIds', cursors: [r.cursor.id] });
    });
  });
});
