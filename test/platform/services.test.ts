// The MongoDB questions the site services' alarms ask (platform/services.ts), against the stand-in
// (and a real replica set where MONGODB_URI is set): what they count, and what they leave out.
import { expect } from 'chai';
import type { Db } from 'mongodb';
import { overstaysIn, staleSlotsIn } from '../../platform/services.ts';
import { startTestMongo, uniqueName, type TestMongo } from '../helpers/mongo.ts';

const H = 3_600_000;
const NOW = Date.parse('2026-12-07T05:00:00.000Z');

describe('platform: the alarms\' questions to MongoDB', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let db: Db;
  before(async function () {
    m = await startTestMongo();
    db = m.client().db(uniqueName('services'));
  });
  after(async function () {
    await m?.close();
  });

  it('stale slots: free or occupied and unchanged since before the limit, per lot, the five unchanged longest', async function () {
    const slot = (lot: string, level: string, s: string, status: string, hoursAgo: number) => ({ _id: `${lot}/${level}/${s}`, lot, level, slot: s, status, since: new Date(NOW - hoursAgo * H), ts: NOW - hoursAgo * H });
    await db.collection('slots').insertMany([
      ...['1', '2', '3', '4', '5', '6', '7'].map((s, i) => slot('mall-1', 'B1', s, i % 2 ? 'free' : 'occupied', 50 + i)),
      slot('mall-1', 'B1', '8', 'occupied', 47), // changed within the limit
      slot('mall-1', 'B1', '9', 'unknown', 100), // its sensor silent: the offline alarm's, not this one's
      slot('mall-1', 'B1', '10', 'closed', 100), // closed on purpose
      slot('mall-2', 'L1', '1', 'free', 49),
    ] as never[]);
    const stale = await staleSlotsIn(db.collection('slots'))(NOW - 48 * H);
    expect([...stale.keys()].sort()).to.deep.equal(['mall-1', 'mall-2']);
    expect(stale.get('mall-1')).to.deep.equal({ count: 7, some: ['B1/7', 'B1/6', 'B1/5', 'B1/4', 'B1/3'] });
    expect(stale.get('mall-2')).to.deep.equal({ count: 1, some: ['L1/1'] });
  });

  it('overstays: open sessions entered before the limit, counted per lot', async function () {
    const session = (id: string, lot: string, status: string, hoursAgo: number) => ({ _id: id, lot, status, entryAt: new Date(NOW - hoursAgo * H) });
    await db.collection('sessions').insertMany([session('a', 'mall-1', 'open', 30), session('b', 'mall-1', 'open', 25), session('c', 'mall-1', 'open', 2), session('d', 'mall-1', 'closed', 40), session('e', 'mall-2', 'open', 26)] as never[]);
    expect(await overstaysIn(db.collection('sessions'))(NOW - 24 * H)).to.deep.equal(new Map([['mall-1', 2], ['mall-2', 1]]));
  });
});
