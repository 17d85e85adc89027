// The editor's login when none is configured: generated once, only its hash
// kept, the password handed back once to be printed.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { ADMIN_LOGIN_FILE, AdminLoginError, describeAdminLogin, OPERATORS_FILE, readOperators, resolveAdminLogin } from '../../flows/index.ts';

describe('flows: the editor login by default', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'parking-admin-'));

  it('generates a password on the first start, keeps only its bcrypt hash (mode 0600), and hands the password back once', () => {
    const dataDir = dir();
    const first = resolveAdminLogin(dataDir);
    expect(first).to.include({ source: 'generated', user: 'admin', file: join(dataDir, ADMIN_LOGIN_FILE) });
    expect(first.password).to.match(/^[A-Za-z0-9_-]{24}$/);
    expect(bcrypt.compareSync(first.password!, first.passwordHash)).to.equal(true);
    const kept = readFileSync(first.file!, 'utf8');
    expect(kept).to.not.include(first.password!);
    expect(JSON.parse(kept)).to.deep.equal({ user: 'admin', passwordHash: first.passwordHash });
    expect(statSync(first.file!).mode & 0o777).to.equal(0o600);
    expect(describeAdminLogin(first)).to.include(`admin / ${first.password}`);

    const again = resolveAdminLogin(dataDir);
    expect(again).to.deep.equal({ user: 'admin', passwordHash: first.passwordHash, source: 'file', file: first.file });
    expect(describeAdminLogin(again)).to.not.include(first.password!);
  });

  it('two data directories get two different passwords', () => {
    expect(resolveAdminLogin(dir()).password).to.not.equal(resolveAdminLogin(dir()).password);
  });

  it('a configured login wins and nothing is written', () => {
    const dataDir = dir();
    const login = resolveAdminLogin(dataDir, { user: 'operator', passwordHash: '$2b$04$abcdefghijklmnopqrstuu' + 'a'.repeat(31) });
    expect(login).to.include({ source: 'settings', user: 'operator' });
    expect(() => statSync(join(dataDir, ADMIN_LOGIN_FILE))).to.throw();
  });

  it('a damaged file is an error naming the file and the way out, not an open editor', () => {
    const dataDir = dir();
    const file = join(dataDir, ADMIN_LOGIN_FILE);
    writeFileSync(file, '{"user":"admin","passwordHash":"plain"}');
    expect(() => resolveAdminLogin(dataDir)).to.throw(AdminLoginError, `${file}: "passwordHash" must be a bcrypt hash (npx node-red admin hash-pw); delete the file`);
    writeFileSync(file, 'not json');
    expect(() => resolveAdminLogin(dataDir)).to.throw(AdminLoginError, /not JSON/);
  });

  it('reads the operators\' logins, none without the file; a bad entry is an error naming the file and the entry', () => {
    const dataDir = dir();
    expect(readOperators(dataDir)).to.deep.equal([]);
    const file = join(dataDir, OPERATORS_FILE);
    const hash = '$2b$04$' + 'a'.repeat(53);
    writeFileSync(file, JSON.stringify([{ user: 'desk', passwordHash: hash }]));
    expect(readOperators(dataDir)).to.deep.equal([{ user: 'desk', passwordHash: hash }]);
    writeFileSync(file, JSON.stringify([{ user: 'desk', passwordHash: hash }, { user: 'x y', passwordHash: hash }]));
    expect(() => readOperators(dataDir)).to.throw(AdminLoginError, `${file}: entry 2: "user" must be a user name`);
    writeFileSync(file, '{"user":"desk"}');
    expect(() => readOperators(dataDir)).to.throw(AdminLoginError, 'must be a JSON array');
  });
});
