import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EventJournal, type LotGateEvent } from '../../billing/index.ts';
import { testCarKey } from '../helpers/plates.ts';

const event = (eventId: string, carId: string): LotGateEvent => ({ eventId, direction: 'entry', carId, carKey: testCarKey(carId), ts: 1, lot: 'mall-1', gate: 'in-1', receivedAt: 1 });

describe('billing: the charging journal', function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'parking-journal-'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps an event on disk until MongoDB holds it, and no plate once every event is held', async function () {
    const file = path.join(dir, 'gate-events.ndjson');
    const journal = new EventJournal(dir);
    journal.record(event('e1', 'PLATE1'));
    journal.record(event('e2', 'PLATE2'));
    journal.done('e1');
    expect(await readFile(file, 'utf8')).to.include('PLATE2');
    expect(new EventJournal(dir).pending().map((e) => e.eventId)).to.deep.equal(['e2']);
    journal.done('e2');
    expect(await readFile(file, 'utf8')).to.equal('');
    expect(new EventJournal(dir).pending()).to.deep.equal([]);
  });
});
