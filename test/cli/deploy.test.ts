// The systemd units and their example settings (deploy/, docs/deploy.md) stay true to the
// command line: every instance's command exists, takes every flag its example passes, and every
// setting its example sets is one the platform reads.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runParking } from '../../proc/index.ts';

const DEPLOY = join(ROOT, 'deploy');

/** VAR=value lines of an environment file (comments and blank lines skipped). */
function envFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) out[match[1]] = match[2];
  }
  return out;
}

describe('deploy: the platform unit and its example settings', function () {
  this.timeout(60_000);
  const examples = readdirSync(join(DEPLOY, 'env')).filter((name) => name.endsWith('.env'));
  const unit = readFileSync(join(DEPLOY, 'parking@.service'), 'utf8');
  const configuration = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');

  it('runs the instance command of its environment file', () => {
    expect(unit).to.match(/^EnvironmentFile=\/etc\/parking\/%i\.env$/m);
    expect(unit).to.match(/^ExecStart=\/usr\/bin\/node \/opt\/parking\/bin\/parking\.js \$PARKING_ARGS$/m);
    expect(examples.sort()).to.deep.equal(['broker-primary.env', 'broker-standby.env', 'flows.env', 'ingest.env']);
  });

  for (const name of ['broker-primary.env', 'broker-standby.env', 'flows.env', 'ingest.env']) {
    it(`${name}: the command and its flags exist, and its settings are documented ones`, async () => {
      const env = envFile(join(DEPLOY, 'env', name));
      const args = env.PARKING_ARGS.split(/\s+/);
      const command = args[0];
      const help = await runParking([command, '--help']);
      expect(help.code, help.stderr).to.equal(0);
      expect(help.stdout).to.include(`Usage: parking ${command}`);
      for (const flag of args.filter((arg) => arg.startsWith('--'))) expect(help.stdout, `${command} takes ${flag}`).to.include(`${flag} `);
      for (const key of Object.keys(env).filter((key) => key !== 'PARKING_ARGS')) expect(configuration, `${key} in docs/configuration.md`).to.include(`\`${key}\``);
    });
  }
});
