// A child for test/proc: says it is ready (after READY_DELAY_MS), answers
// stdin lines, and on command crashes, ignores SIGTERM, or prints settings.
import { createInterface } from 'node:readline';

const delay = Number(process.env.READY_DELAY_MS ?? 0);
setTimeout(() => {
  process.stdout.write(`child ready pid ${process.pid}\n`);
  process.stderr.write('a line on stderr\n');
}, delay);
const keepAlive = setInterval(() => undefined, 60_000);

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, ...rest] = line.split(' ');
  if (command === 'echo') process.stdout.write(`echo: ${rest.join(' ')}\n`);
  else if (command === 'env') process.stdout.write(`env: ${rest.map((name) => `${name}=${process.env[name] ?? '-'}`).join(' ')}\n`);
  else if (command === 'crash') {
    process.stderr.write('TypeError: the child crashed on purpose\n');
    process.exit(3);
  } else if (command === 'stubborn') {
    process.on('SIGTERM', () => process.stdout.write('ignoring SIGTERM\n'));
    process.stdout.write('stubborn\n');
  } else if (command === 'exit') {
    clearInterval(keepAlive);
    process.exit(Number(rest[0] ?? 0));
  }
});
if (process.argv.includes('--no-ready')) process.exit(4);
