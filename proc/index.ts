// `parking` child processes, for the drill, the bench and the tests: the one
// place that spawns them, waits for their ready line and their exit, and
// kills them all when we exit.
//
// A long-running part (a broker, ingest, the fleet, the MongoDB stand-in):
//
//   import { startPart } from '../proc/index.ts';
//   const broker = await startPart({
//     name: 'broker-primary',                         // in messages and incidents
//     args: ['broker', '--role', 'primary', '--port', '0'],
//     env: { PARKING_BROKER_ID: 'b1' },               // over a clean environment, see below
//     ready: /^broker primary listening (\S+)/m,      // awaited on stdout, 30 s (readyTimeoutMs)
//     logFile: '/tmp/logs/broker-primary.log',        // optional: everything it writes, appended
//   });
//   broker.ready[1];                 // the ready line's match (updated by each restart)
//   broker.pid;                      // for /proc/<pid>/stat (CPU, RSS); changes on restart
//   const from = broker.mark();
//   await broker.waitForOutput(/resynchronised/, { from, timeoutMs: 20_000 });
//   const off = broker.onLine((line) => …);          // stdout lines as they come ('stderr' or 'all' as 2nd argument)
//   broker.signal('SIGSTOP');        // a signal that need not end it
//   await broker.kill();             // SIGKILL (or kill('SIGTERM')): resolves once it exited
//   await broker.restart();          // same arguments (so same ports); resolves when ready again
//   broker.onUnexpectedExit(({ part, code, signal, message }) => …);  // a crash (not kill/stop)
//   await broker.stop();             // SIGTERM, SIGKILL after 10 s; broker.exit is { code, signal }
//   broker.output();                 // stdout and stderr of every run, a marker line at each start and exit
//
// A process talked to over stdin (a fleet that takes JSON commands):
//
//   const fleet = await startPart({ name: 'fleet', script: '/abs/bench/fleet.ts', args: [], stdin: true,
//     ready: /^\{"ok":true,"cmd":"ready"\}$/m, openFiles: 11_000, nodeFlags: ['--cpu-prof'] });
//   fleet.onLine((line) => replies.push(JSON.parse(line)));
//   fleet.writeLine(JSON.stringify({ cmd: 'stats' }));  // also write(text), endInput(text?)
//   const { code } = await fleet.waitForExit(5_000);
//
// A command run to its end (help, bad settings, a whole drill):
//
//   const { code, signal, stdout, stderr } = await runParking(['drill', '--quick'], { env, input, timeoutMs: 60_000 });
//
// Rules:
// - Every wait is bounded and its error names what it waited for, the command
//   and the end of the output: the ready line (readyTimeoutMs, default 30 s;
//   an exit before it fails at once), waitForOutput (20 s; an exit it was not
//   asked for fails at once), kill/stop (the signal, SIGKILL after 10 s, then
//   5 s), waitForExit (10 s), runParking (60 s, then SIGTERM and SIGKILL).
//   A failed start is a ProcessError (its `output`, its `exit`); the process
//   is killed.
// - The environment is ours without PARKING_*, MONGODB_URI, REDIS_URL and
//   LOG_LEVEL (cleanEnv), plus `env`. Parts log JSON at info unless `env` says
//   otherwise (PARKING_LOG_FORMAT, PARKING_LOG_LEVEL); runParking adds nothing.
// - `script` runs that file instead of bin/parking.js (TypeScript through tsx,
//   JavaScript with plain node);
//   `nodeFlags` go to node first (e.g. --cpu-prof, --cpu-prof-dir=DIR);
//   `openFiles` raises the child's open-files limit (withOpenFiles: through
//   sh, which execs node, so `pid` is node's).
// - The ready pattern is matched against the complete stdout lines of the
//   current start; without `ready` a part is ready once spawned. Output is
//   kept in memory up to `tailChars` (1,000,000; the oldest dropped: positions
//   are mark(), not output().length). `onLine` in the options sees every line
//   from the first start on, before the ready line.
// - Every child still running is killed (SIGKILL) when this process exits;
//   killAllParts() does it at once (signal handlers).
export { ROOT, BIN, cleanEnv, withOpenFiles, killAllParts } from './env.ts';
export { startPart, lastError, ProcessError, type Part, type PartOptions, type UnexpectedExit, type Exit, type Stream } from './part.ts';
export { runParking, type RunOptions, type RunResult } from './run.ts';
