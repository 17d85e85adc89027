// proc/: the one helper that spawns `parking` (or a script) as a child and waits for it.
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ProcessError, killAllParts, runParking, startPart, withOpenFiles, type Part, type PartOptions, type UnexpectedExit } from '../../proc/index.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const READY = /^child ready pid (\d+)$/m;

describe('proc: child processes', function () {
  this.timeout(30_000);
  const parts: Part[] = [];
  const start = async (options: Partial<PartOptions> = {}) => {
    const part = await startPart({ name: 'child', script: CHILD, args: [], ready: READY, stdin: true, ...options });
    parts.push(part);
    return part;
  };
  afterEach(async () => {
    await Promise.all(parts.splice(0).map((part) => part.kill()));
  });

  it('resolves at the ready line with its match and the pid, keeps stdout and stderr, cleans the environment', async () => {
    process.env.PARKING_LEAKED = 'yes';
    let part: Part;
    try {
      part = await start({ env: { EXTRA: 'given' } });
    } finally {
      delete process.env.PARKING_LEAKED;
    }
    expect(part.running).to.equal(true);
    expect(Number(part.ready[1])).to.equal(part.pid);
    expect(part.exit).to.equal(undefined);
    const answer = part.waitForOutput(/^env: .*$/m);
    part.writeLine('env PARKING_LEAKED EXTRA PARKING_LOG_FORMAT PARKING_LOG_LEVEL');
    expect(await answer).to.equal('env: PARKING_LEAKED=- EXTRA=given PARKING_LOG_FORMAT=json PARKING_LOG_LEVEL=info');
    await part.waitForOutput(/a line on stderr/);
    expect(part.output()).to.match(/^--- \S+ .*child\.ts \(pid \d+\)$/m);
  });

  it('runs the child at the CPU priority asked for, ours without', async () => {
    const niced = await start({ niceness: 7 });
    expect(getPriority(niced.pid)).to.equal(7);
    const plain = await start();
    expect(getPriority(plain.pid)).to.equal(getPriority());
  });

  it('masks the passwords of URLs in its arguments in the output and messages', async () => {
    const part = await start({ args: ['--primary', 'mqtts://bridge:s3cret@127.0.0.1:1'] });
    expect(part.output()).to.include('mqtts://bridge:***@127.0.0.1:1').and.not.include('s3cret');
    const error = await part.waitForOutput(/silence/, { timeoutMs: 100 }).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.include('bridge:***@').and.not.include('s3cret');
  });

  it('passes stdout lines to listeners as they come, stderr when asked', async () => {
    const part = await start();
    const stdout: string[] = [];
    const all: string[] = [];
    const off = part.onLine((line) => stdout.push(line));
    part.onLine((line, stream) => all.push(`${stream} ${line}`), 'all');
    part.writeLine('echo one');
    part.write('echo tw');
    part.write('o\n');
    await part.waitForOutput(/echo: two/);
    off();
    part.writeLine('echo three');
    await part.waitForOutput(/echo: three/);
    expect(stdout).to.deep.equal(['echo: one', 'echo: two']);
    expect(all).to.include('stdout echo: three');
  });

  it('sees every line from the start with the onLine option, before the ready line is awaited', async () => {
    const lines: string[] = [];
    await start({ onLine: (line, stream) => lines.push(`${stream} ${line}`) });
    expect(lines[0]).to.match(/^stdout child ready pid \d+$/);
  });

  it('reports a crash once, fails a wait on it at once, and restarts with a new pid', async () => {
    const part = await start();
    const crashes: UnexpectedExit[] = [];
    part.onUnexpectedExit((exit) => crashes.push(exit));
    const waiting = part.waitForOutput(/never printed/, { timeoutMs: 20_000 });
    const pid = part.pid;
    part.writeLine('crash');
    const error = await waiting.then(() => undefined, (e: Error) => e);
    expect(error?.message).to.match(/^child exited \(3\) before printing \/never printed\/: TypeError: the child crashed on purpose/);
    expect(crashes).to.deep.equal([{ part: 'child', code: 3, signal: null, message: 'TypeError: the child crashed on purpose' }]);
    expect(part.running).to.equal(false);
    expect(part.exit).to.deep.equal({ code: 3, signal: null });
    await part.restart();
    expect(part.running).to.equal(true);
    expect(part.pid).to.not.equal(pid);
    expect(Number(part.ready[1])).to.equal(part.pid);
    await part.stop();
    expect(part.exit).to.deep.equal({ code: null, signal: 'SIGTERM' });
    expect(crashes).to.have.length(1);
  });

  it('stop sends SIGKILL when SIGTERM is ignored; kill takes a signal; signal() need not end it', async () => {
    const part = await start();
    const stubborn = part.waitForOutput(/^stubborn$/m);
    part.writeLine('stubborn');
    await stubborn;
    expect(part.signal('SIGSTOP')).to.equal(true);
    expect(part.signal('SIGCONT')).to.equal(true);
    const began = Date.now();
    await part.stop(300);
    expect(Date.now() - began).to.be.within(250, 5000);
    expect(part.exit).to.deep.equal({ code: null, signal: 'SIGKILL' });
    expect(part.signal('SIGCONT')).to.equal(false);
    const other = await start();
    await other.kill('SIGINT');
    expect(other.exit?.signal).to.equal('SIGINT');
  });

  it('bounds every wait and names what it waited for', async () => {
    const late = await start({ env: { READY_DELAY_MS: '20000' }, readyTimeoutMs: 300 }).then(() => undefined, (e: unknown) => e);
    expect(late).to.be.instanceOf(ProcessError);
    expect((late as Error).message).to.match(/^child: no line matching \/\^child ready pid \(\\d\+\)\$\/m within 300 ms \(.*child\.ts\)/);
    const early = (await start({ args: ['--no-ready'] }).then(() => undefined, (e: unknown) => e)) as ProcessError;
    expect(early.message).to.match(/^child exited \(4\) before a line matching \/\^child ready/);
    expect(early.exit).to.deep.equal({ code: 4, signal: null });
    const part = await start();
    const quiet = await part.waitForOutput(/silence/, { timeoutMs: 200 }).then(() => undefined, (e: Error) => e);
    expect(quiet?.message).to.match(/^child: no \/silence\/ in its output within 200 ms/);
    const running = await part.waitForExit(200).then(() => undefined, (e: Error) => e);
    expect(running?.message).to.match(/^child: still running after 200 ms/);
    part.writeLine('exit 5');
    expect(await part.waitForExit(5000)).to.deep.equal({ code: 5, signal: null });
  });

  it('without a ready pattern it is ready once spawned; endInput closes stdin', async () => {
    const part = await start({ ready: undefined });
    part.endInput('echo last\n');
    await part.waitForOutput(/echo: last/);
  });

  it('raises the open-files limit of the child itself (sh execs node)', async () => {
    expect(withOpenFiles(undefined, 'node', ['x'])).to.deep.equal(['node', ['x']]);
    const [file, args] = withOpenFiles(11_024, 'node', ['a b']);
    expect(file).to.equal('sh');
    expect(args[1]).to.match(/^ulimit -n 11024 .*exec "\$@"$/);
    expect(args.slice(2)).to.deep.equal(['sh', 'node', 'a b']);
    const part = await start({ openFiles: 1000 });
    expect(readFileSync(`/proc/${part.pid}/cmdline`, 'utf8')).to.include('child.ts');
    expect(readFileSync(`/proc/${part.pid}/limits`, 'utf8')).to.match(/^Max open files\s+1000\s/m);
  });

  it('killAllParts kills every child at once', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    killAllParts();
    expect(await a.waitForExit(5000)).to.deep.equal({ code: null, signal: 'SIGKILL' });
    expect((await b.waitForExit(5000)).signal).to.equal('SIGKILL');
  });

  it('runParking runs a command to its end, bounded', async () => {
    const version = await runParking(['--version']);
    expect(version.code).to.equal(0);
    expect(version.stdout.trim()).to.match(/^\d+\.\d+\.\d+/);
    const bad = await runParking(['teleport']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/unknown command 'teleport'/);
    const endless = await runParking(['testbed', 'mongo', '--port', '0'], { timeoutMs: 1000 }).then(() => undefined, (e: unknown) => e);
    expect(endless).to.be.instanceOf(ProcessError);
    expect((endless as Error).message).to.match(/^parking testbed mongo --port 0: not finished within 1000 ms/);
  });
});
