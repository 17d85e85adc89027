// The deadline every MongoDB operation of the platform runs under, and which failures may have applied a write.
import { expect } from 'chai';
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { bounded, certainlyNotApplied, isTransient, MongoDeadlineError, settlesWithin } from '../../mongo/index.ts';

describe('mongo: bounded operations', function () {
  it("gives the operation's result when it finishes in time", async function () {
    expect(await bounded('read', 1000, async () => 42)).to.equal(42);
  });

  it('ends at the deadline with a MongoDeadlineError, aborting the signal it gave the operation', async function () {
    let seen: AbortSignal | undefined;
    const started = Date.now();
    const error = await bounded('write', 50, (signal) => {
      seen = signal;
      return new Promise(() => undefined); // never settles, ignores the signal
    }).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(MongoDeadlineError);
    expect((error as Error).message).to.equal('MongoDB write did not finish within 50 ms');
    expect(Date.now() - started).to.be.within(45, 1000);
    expect(seen!.aborted, 'the driver is told to give up').to.equal(true);
    expect(isTransient(error), 'worth another attempt').to.equal(true);
  });

  it('ends at once when the stop signal aborts, with its reason', async function () {
    const stop = new AbortController();
    const pending = bounded('write', 60_000, () => new Promise(() => undefined), stop.signal);
    stop.abort(new Error('stopped'));
    const error = await pending.catch((err: unknown) => err);
    expect((error as Error).message).to.equal('stopped');
    const already = await bounded('write', 60_000, async () => 1, stop.signal).catch((err: unknown) => err);
    expect((already as Error).message, 'an aborted stop signal runs nothing').to.equal('stopped');
  });

  it('passes a failure of the operation through unchanged', async function () {
    const error = await bounded('write', 1000, async () => {
      throw new Error('E11000');
    }).catch((err: unknown) => err);
    expect((error as Error).message).to.equal('E11000');
  });
});

describe('mongo: waiting at most so long (a stop)', function () {
  it('says whether a promise settled, either way, before the limit', async function () {
    expect(await settlesWithin(Promise.resolve(1), 1000)).to.equal(true);
    expect(await settlesWithin(Promise.reject(new Error('x')), 1000), 'a failure is settled too').to.equal(true);
    expect(await settlesWithin(new Promise(() => undefined), 30)).to.equal(false);
  });
});

describe('mongo: which failed writes may have been applied', function () {
  it('only a refusal as not primary and a write that never reached a server certainly changed nothing', function () {
    const notPrimary = new MongoServerError({ message: 'not primary', code: 10107 });
    const steppedDown = new MongoServerError({ message: 'interrupted', code: 11602 });
    expect(certainlyNotApplied(notPrimary)).to.equal(true);
    expect(certainlyNotApplied(new MongoServerSelectionError('no primary', { error: undefined } as never))).to.equal(true);
    expect(certainlyNotApplied(steppedDown), 'interrupted mid-write').to.equal(false);
    expect(certainlyNotApplied(new MongoNetworkError('connection closed'))).to.equal(false);
    expect(certainlyNotApplied(new MongoDeadlineError('write', 5000))).to.equal(false);
    expect(certainlyNotApplied(new Error('anything else'))).to.equal(false);
  });
});
