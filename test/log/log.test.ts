import { expect } from 'chai';
import { childLogger, createLogger, formatPretty, redactUrls } from '../../log/index.ts';
import { redLogHandler } from '../../flows/logging.ts';

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

  it('masks the password of every URL in a text, and nothing else', () => {
    expect(redactUrls('Connected to broker: flows-1@mqtt://parking-service:s3cr%40t@127.0.0.1:1883')).to.equal('Connected to broker: flows-1@mqtt://parking-service:***@127.0.0.1:1883');
    expect(redactUrls('a mongodb://u:p@db1,db2/?replicaSet=rs0 and ws://x:y@h:9001/mqtt')).to.equal('a mongodb://u:***@db1,db2/?replicaSet=rs0 and ws://x:***@h:9001/mqtt');
    expect(redactUrls('mqtt://bridge:s3cret@10.0.0.5:1883')).to.equal('mqtt://bridge:***@10.0.0.5:1883');
    expect(redactUrls('mqtt://10.0.0.5:1883')).to.equal('mqtt://10.0.0.5:1883');
    for (const plain of ['mqtt://127.0.0.1:1883', 'mqtt://user@host:1883', 'time 12:30 user@example.com', 'http://h:1880/red/flows']) expect(redactUrls(plain)).to.equal(plain);
  });

  it('no log line carries a URL password, whoever wrote the message (Node-RED included), JSON or pretty', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { lines, destination } = capture();
      const logger = createLogger('flows', 'info', { destination, format });
      logger.info({ url: 'mqtt://svc:pw1@h:1883' }, 'bridge to mqtt://svc:pw2@h:1883');
      redLogHandler(logger)({ level: 40, msg: 'Connected to broker: parking-flows@mqtt://parking-service:pw3@127.0.0.1:1883' });
      redLogHandler(logger)({ level: 20, msg: new Error('connect ECONNREFUSED mqtt://parking-service:pw4@10.0.0.5:1883') });
      const all = lines.join('');
      expect(lines.length, format).to.equal(3);
      for (const pw of ['pw1', 'pw2', 'pw3', 'pw4']) expect(all, `${format}: ${pw}`).to.not.include(`:${pw}@`);
      expect(all).to.include('parking-service:***@127.0.0.1:1883');
    }
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
