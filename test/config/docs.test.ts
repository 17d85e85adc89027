import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { SETTING_KEYS, flagName, settingDef } from '../../config/index.ts';

describe('docs/configuration.md', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

  it('lists every setting with its config-file key, environment variables and flag', () => {
    for (const key of SETTING_KEYS) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, `row of ${key}`).to.be.a('string');
      for (const name of settingDef(key).env ?? []) expect(row, key).to.include(`\`${name}\``);
      const flag = flagName(key);
      if (flag) expect(row, key).to.include(`\`${flag}\``);
    }
  });
});
