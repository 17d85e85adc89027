import { expect } from 'chai';
import { Command } from 'commander';
import { useSettings, type CliContext } from '../../cli/index.ts';
import { SettingError } from '../../config/index.ts';
import { testContext } from './context.ts';

/** A bare command using `useSettings`, run with `args`; returns what the action loaded. */
async function load(args: string[], ctx: CliContext = testContext()) {
  const cmd = new Command('x').exitOverride();
  const settings = useSettings(cmd, ['sim', 'allowAnonymous', 'httpPort', 'mqttUrls', 'topicRoot']);
  let loaded: ReturnType<typeof settings> | undefined;
  cmd.action(() => {
    loaded = settings(ctx);
  });
  await cmd.parseAsync(args, { from: 'user' });
  return { cmd, loaded: loaded! };
}

describe('useSettings (options generated from the settings table)', () => {
  it('adds a flag for each declared setting that has one, plus --config', async () => {
    const { cmd } = await load([]);
    expect(cmd.options.map((option) => option.long)).to.deep.equal(['--no-sim', '--allow-anonymous', '--http-port', '--servers', '--config']);
    expect(cmd.helpInformation()).to.include('PARKING_HTTP_PORT');
  });

  it('without flags, the environment and defaults apply (a negatable switch is not a given flag)', async () => {
    const { loaded } = await load([], testContext({ PARKING_SIM: 'false', PARKING_TOPIC_ROOT: 'site' }));
    expect(loaded).to.deep.equal({ sim: false, allowAnonymous: false, httpPort: 1880, mqttUrls: ['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:1884'], topicRoot: 'site' });
  });

  it('given flags beat the environment', async () => {
    const ctx = testContext({ PARKING_SIM: 'true', PARKING_ALLOW_ANONYMOUS: 'false', PARKING_HTTP_PORT: '81', PARKING_MQTT_URLS: 'mqtt://env' });
    const { loaded } = await load(['--no-sim', '--allow-anonymous', '--http-port', '8080', '--servers', 'mqtt://a,mqtt://b'], ctx);
    expect(loaded).to.deep.equal({ sim: false, allowAnonymous: true, httpPort: 8080, mqttUrls: ['mqtt://a', 'mqtt://b'], topicRoot: 'parking' });
  });

  it('a bad flag value is a SettingError naming the flag', async () => {
    try {
      await load(['--servers', 'http://a']);
    } catch (error) {
      expect(error).to.be.instanceOf(SettingError);
      expect((error as SettingError).setting).to.equal('--servers');
      return;
    }
    throw new Error('expected a SettingError');
  });
});
