// parking accounts add|list|remove|rotate: the MQTT accounts of the auth file
// (--auth-file, PARKING_MQTT_AUTH_FILE). A new secret is printed once, alone on
// stdout (what it is for goes to stderr), so a script can take it:
//   token=$(parking accounts add pi-b1-07 --role device --lot mall-1 --slots B1/07)
// The brokers read the file again on SIGHUP (systemctl reload parking@broker-primary).
import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { UsageError } from '../errors.ts';
import { requiredOption, useSettings } from '../settings.ts';

const RELOAD_HINT = 'the brokers take it at their next start, or at once on SIGHUP (systemctl reload parking@broker-primary parking@broker-standby)';

interface AddFlags {
  role: string;
  lot?: string;
  device?: string;
  slots?: string;
  gate?: string;
}

function fileOf(ctx: CliContext, s: { mqttAuthFile?: string }): string {
  if (!s.mqttAuthFile) throw new UsageError('parking accounts needs the auth file: --auth-file FILE or PARKING_MQTT_AUTH_FILE (the file the brokers read; it is created when missing)');
  return s.mqttAuthFile;
}

async function load() {
  const [accounts, { AuthFileError }] = await Promise.all([import('../../accounts/index.ts'), import('../../broker/index.ts')]);
  return { ...accounts, AuthFileError };
}

/** Runs `body`, turning a bad account (AccountError, AuthFileError) into a usage error with its message. */
async function guarded<T>(body: () => Promise<T>): Promise<T> {
  const { AccountError, AuthFileError } = await load();
  try {
    return await body();
  } catch (error) {
    if (error instanceof AccountError || error instanceof AuthFileError) throw new UsageError(error.message);
    throw error;
  }
}

function registerAdd(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('add')
    .argument('<username>', 'the account name the client connects with (a device: its device id, e.g. pi-b1-07)')
    .description('Add an account and print its new secret, once, on stdout: 192 random bits (a device token for a device, kept as a keyed hash; a password kept as scrypt for the other roles).')
    .addOption(requiredOption('--role <role>', 'device (a slot sensor), gate (a gate reader), reader (signage, dashboards: read only), service (ingest, charging), bridge (a standby\'s link) or admin', parsers.oneOf(['device', 'gate', 'reader', 'service', 'bridge', 'admin'] as const)))
    .option('--lot <lot>', 'device and gate: its lot (needed); reader and service: keeps the account to that lot')
    .option('--slots <list>', 'device: the slots it reports, level/slot comma-separated, e.g. B1/07,B1/08')
    .option('--device <id>', 'device: its device id, when not the username')
    .option('--gate <id>', 'gate: its gate id');
  const settings = useSettings(cmd, ['mqttAuthFile']);
  examples(cmd, [
    'parking accounts add pi-b1-07 --role device --lot mall-1 --slots B1/07,B1/08 --auth-file /etc/parking/mqtt-accounts.json',
    'parking accounts add gate-north --role gate --lot mall-1 --gate north',
    'parking accounts add lobby-screen --role reader --lot mall-1',
  ]);
  cmd.action(async (username: string, flags: AddFlags) => {
    const file = fileOf(ctx, settings(ctx));
    const a = await load();
    await guarded(async () => {
      const fields = a.accountFields({ username, role: flags.role as never, lot: flags.lot, device: flags.device, gate: flags.gate, slots: flags.slots?.split(',').map((x) => x.trim()).filter(Boolean) });
      const secret = a.newSecret(fields.role);
      const password = await a.secretHash(fields.role, secret);
      await a.changeAuthFile(file, (doc) => {
        if (doc.accounts[username]) throw new Error(`account ${username} exists in ${file} (parking accounts rotate ${username} gives it a new secret)`);
        doc.accounts[username] = { ...fields, password };
      });
      ctx.stderr.write(`added ${fields.role} account ${username} to ${file}; ${RELOAD_HINT}. Its secret, shown this once:\n`);
      ctx.stdout.write(`${secret}\n`);
    });
  });
}

function registerList(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('list')
    .description('List the accounts of the auth file: name, role and what it may touch (never a secret or a hash).')
    .option('--json', 'one JSON object per account, one per line');
  const settings = useSettings(cmd, ['mqttAuthFile']);
  examples(cmd, ['parking accounts list --auth-file /etc/parking/mqtt-accounts.json']);
  cmd.action(async (flags: { json?: boolean }) => {
    const file = fileOf(ctx, settings(ctx));
    const a = await load();
    await guarded(async () => {
      const { doc, exists } = a.readAuthDoc(file);
      if (!exists) throw new Error(`${file}: no such file (parking accounts add makes it)`);
      const accounts = [...a.checkDoc(doc).values()].sort((x, y) => x.username.localeCompare(y.username));
      if (flags.json) {
        for (const account of accounts) {
          const { password: _password, ...rest } = account;
          ctx.stdout.write(`${JSON.stringify({ ...rest, ...('slots' in rest ? { slots: [...rest.slots] } : {}), secret: a.secretKind(account) })}\n`);
        }
        return;
      }
      if (!accounts.length) {
        ctx.stdout.write(`no accounts in ${file}\n`);
        return;
      }
      const width = Math.max(8, ...accounts.map((x) => x.username.length));
      ctx.stdout.write(`${'username'.padEnd(width)}  role     secret  scope\n`);
      for (const account of accounts) ctx.stdout.write(`${account.username.padEnd(width)}  ${account.role.padEnd(7)}  ${a.secretKind(account).padEnd(6)}  ${a.describe(account)}\n`);
    });
  });
}

function registerRemove(parent: Command, ctx: CliContext): void {
  const cmd = parent.command('remove').argument('<username>', 'the account to remove').description('Remove an account: its next connection is refused.');
  const settings = useSettings(cmd, ['mqttAuthFile']);
  examples(cmd, ['parking accounts remove pi-b1-07 --auth-file /etc/parking/mqtt-accounts.json']);
  cmd.action(async (username: string) => {
    const file = fileOf(ctx, settings(ctx));
    const a = await load();
    await guarded(() =>
      a.changeAuthFile(file, (doc, exists) => {
        if (!exists || !doc.accounts[username]) throw new Error(`no account ${username} in ${file}`);
        delete doc.accounts[username];
      }),
    );
    ctx.stdout.write(`removed account ${username} from ${file}; ${RELOAD_HINT}\n`);
  });
}

function registerRotate(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('rotate')
    .argument('<username>', 'the account to give a new secret')
    .description('Give an account a new secret and print it, once, on stdout; the old one is refused from the next connection on.');
  const settings = useSettings(cmd, ['mqttAuthFile']);
  examples(cmd, ['token=$(parking accounts rotate pi-b1-07 --auth-file /etc/parking/mqtt-accounts.json)']);
  cmd.action(async (username: string) => {
    const file = fileOf(ctx, settings(ctx));
    const a = await load();
    await guarded(async () => {
      const secret = await a.changeAuthFile(file, async (doc, exists) => {
        const account = exists ? doc.accounts[username] : undefined;
        if (!account) throw new Error(`no account ${username} in ${file}`);
        const next = a.newSecret(account.role);
        account.password = await a.secretHash(account.role, next);
        return next;
      });
      ctx.stderr.write(`new secret for account ${username} in ${file}; ${RELOAD_HINT}. Shown this once:\n`);
      ctx.stdout.write(`${secret}\n`);
    });
  });
}

export function registerAccounts(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('accounts')
    .description('Manage the MQTT accounts of the auth file the brokers read (--auth-file, PARKING_MQTT_AUTH_FILE): add, list, remove, rotate. A new secret is printed once; the file keeps only its hash.');
  registerAdd(cmd, ctx);
  registerList(cmd, ctx);
  registerRemove(cmd, ctx);
  registerRotate(cmd, ctx);
}
