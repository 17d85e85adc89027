import { expect } from 'chai';
import { childLogger, createLogger, formatPretty } from '../../log/index.ts';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (text: string) => void lines.push(text) } };
}

describe('log', () => {
  it('writes one JSON line per event with level label, time, name and fields', () => {
    const { lines, destination } = capture();
    const logger = createLogger('ingest', 'info', { destination, format: 'json' });
    logger.info({ lot: 'mall-1' }, 'started');
    expect(lines).to.have.length(1);
    expect(lines[0].endsWith('\n')).to.equal(true);
    const event = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(event).to.include({ level: 'info', name: 'ingest', lot: 'mall-1', msg: 'started' });
    expect(event.time).to.match(/^\d{4}-\d\d-\d\dT/);
  });

  it('drops events below the level; silent drops all', () => {
    const { lines, destination } = capture();
    const logger = createLogger('x', 'warn', { destination, format: 'json' });
    logger.info('no');
    logger.warn('yes');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).to.deep.equal(['yes']);
    const quiet = capture();
    createLogger('x', 'silent', { destination: quiet.destination, format: 'json' }).fatal('no');
    expect(quiet.lines).to.deep.equal([]);
  });

  it('child loggers add their component and fields', () => {
    const { lines, destination } = capture();
    childLogger(createLogger('broker', 'debug', { destination, format: 'json' }), 'bridge', { remote: 'primary' }).debug('connected');
    expect(JSON.parse(lines[0])).to.include({ name: 'broker', component: 'bridge', remote: 'primary', msg: 'connected', level: 'debug' });
  });

  it('the pretty format is one short human line', () => {
    const { lines, destination } = capture();
    createLogger('ingest', 'info', { destination, format: 'pretty' }).warn({ topic: 'parking/a b' }, 'rejected');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}ingest: rejected topic="parking\/a b"\n$/);
    expect(formatPretty('not json')).to.equal('not json\n');
  });
});
