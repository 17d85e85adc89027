import { expect } from 'chai';
import { COMMANDS, createProgram, parseSensor, run, type TestbedMongoModule } from '../../cli/index.ts';
import { InvalidValue } from '../../config/index.ts';
import { testContext } from './context.ts';

describe('parking command line (in process)', () => {
  it('registers every command of the contract, each with a description', () => {
    const program = createProgram(testContext());
    expect(program.commands.map((command) => command.name())).to.deep.equal(['start', 'broker', 'accounts', 'ingest', 'flows', 'device', 'gate', 'simulate', 'fleet', 'signage', 'plates', 'drill', 'bench', 'testbed']);
    expect(COMMANDS).to.have.length(14);
    for (const command of program.commands) expect(command.description(), command.name()).to.not.equal('');
  });

  it('a command validates its settings before it starts anything (exit 2, one line)', async () => {
    const bad = testContext();
    expect(await run(['broker', '--role', 'standby', '--primary', 'http://x'], bad)).to.equal(2);
    expect(bad.err.join('')).to.equal('parking: bad setting --primary=http://x: must be a URL starting mqtt://, mqtts://, ws:// or wss://\n');
  });

  it('the role may come from the config file instead of the flag', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'parking-cli-'));
    try {
      writeFileSync(join(dir, 'broker.json'), JSON.stringify({ role: 'standby' }));
      // Without the file's role this would be "required option '--role'"; with it, the next setting is checked.
      const ctx = testContext();
      expect(await run(['broker', '--config', join(dir, 'broker.json'), '--primary', 'http://x'], ctx)).to.equal(2);
      expect(ctx.err.join('')).to.match(/bad setting --primary=http:\/\/x/);
      const without = testContext();
      expect(await run(['broker', '--primary', 'mqtt://x'], without)).to.equal(2);
      expect(without.err.join('')).to.match(/--role/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('help goes to stdout and exits 0; a command needing a subcommand shows help on stderr and exits 2', async () => {
    const help = testContext();
    expect(await run(['gate', '--help'], help)).to.equal(0);
    expect(help.out.join('')).to.include('--stdin');
    const bare = testContext();
    expect(await run(['testbed'], bare)).to.equal(2);
    expect(bare.err.join('')).to.include('Usage: parking testbed');
  });

  it('an unexpected failure exits 1 with one line', async () => {
    const ctx = testContext({}, {
      testbedMongo: async () => ({
        startReplicaSet: async () => {
          throw new Error('address in use\nsecond line');
        },
      }),
    });
    expect(await run(['testbed', 'mongo'], ctx)).to.equal(1);
    expect(ctx.err.join('')).to.equal('parking: address in use second line\n');
    expect(ctx.signalSource.listenerCount('SIGINT')).to.equal(0);
  });

  describe('testbed mongo', () => {
    function fakeStandIn() {
      const calls: { options?: Parameters<TestbedMongoModule['startReplicaSet']>[0]; closed: number } = { closed: 0 };
      const module: TestbedMongoModule = {
        startReplicaSet: async (options) => {
          calls.options = options;
          return {
            uri: 'mongodb://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3/?replicaSet=rs0',
            close: async () => {
              calls.closed++;
            },
          };
        },
      };
      return { calls, module };
    }

    it('passes port and election delay, prints the URI, and on SIGINT closes and exits 0', async () => {
      const { calls, module } = fakeStandIn();
      const ctx = testContext({ PARKING_TESTBED_ELECTION_MS: '100-200' }, { testbedMongo: async () => module });
      const running = run(['testbed', 'mongo', '--port', '0'], ctx);
      const line = await ctx.printed(/stand-in/);
      expect(line).to.equal('MongoDB replica-set stand-in (development and test only, never for production): mongodb://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3/?replicaSet=rs0');
      expect(calls.options?.port).to.equal(0);
      expect(calls.options?.electionDelayMs).to.deep.equal([100, 200]);
      expect(calls.closed).to.equal(0);
      ctx.signalSource.emit('SIGINT');
      expect(await running).to.equal(0);
      expect(calls.closed).to.equal(1);
    });

    it('the flag beats the environment for the election delay; the default port is 27017', async () => {
      const { calls, module } = fakeStandIn();
      const ctx = testContext({ PARKING_TESTBED_ELECTION_MS: '100-200' }, { testbedMongo: async () => module });
      const running = run(['testbed', 'mongo', '--election-delay', '5'], ctx);
      await ctx.printed(/stand-in/);
      expect(calls.options?.port).to.equal(27017);
      expect(calls.options?.electionDelayMs).to.deep.equal([5, 5]);
      ctx.signalSource.emit('SIGTERM');
      expect(await running).to.equal(0);
    });
  });

  it('parseSensor reads sim, stdin and gpio:LINE', () => {
    expect(parseSensor('sim')).to.deep.equal({ kind: 'sim' });
    expect(parseSensor('stdin')).to.deep.equal({ kind: 'stdin' });
    expect(parseSensor('gpio:17')).to.deep.equal({ kind: 'gpio', line: '17' });
    expect(() => parseSensor('gpio:')).to.throw(InvalidValue);
    expect(() => parseSensor('camera')).to.throw(InvalidValue);
  });
});
