import { Option, type Command } from 'commander';
import { DEFAULT_MQTT_PORTS, DEFAULT_WS_PORTS, SettingError, type SettingKey } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { UsageError } from '../errors.ts';
import { tlsFiles, useSettings, writtenAs } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

const KEYS = [
  'role',
  'mqttPort',
  'primaryUrl',
  'wsPort',
  'allowAnonymous',
  'mqttAuthFile',
  'redisUrl',
  'heartbeatMs',
  'bindHost',
  'mqttsPort',
  'tlsCert',
  'tlsKey',
  'brokerId',
  'topicRoot',
  'logLevel',
  'logFormat',
] as const satisfies readonly SettingKey[];

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The ports a broker of `role` listens on: the settings when set, else the role's defaults (primary 1883 and 9001, standby 1884 and 9002). */
export function brokerPorts(role: 'primary' | 'standby', s: { mqttPort?: number; wsPort?: number }): { port: number; wsPort: number } {
  return { port: s.mqttPort ?? DEFAULT_MQTT_PORTS[role], wsPort: s.wsPort ?? DEFAULT_WS_PORTS[role] };
}

/**
 * `--hash-password`: the `password` value of an account for the secret on stdin. With
 * `--role device` a device token's fast hash (the token must show 128 bits); without
 * `--role`, with another account role, or with a broker role (primary, standby) scrypt.
 */
async function hashPasswordCommand(cmd: Command, ctx: CliContext): Promise<void> {
  const broker = await import('../../broker/index.ts');
  const role = cmd.getOptionValueSource('role') === 'cli' ? String(cmd.opts<{ role?: string }>().role) : undefined;
  const accountRoles: readonly string[] = broker.ROLES;
  if (role !== undefined && !accountRoles.includes(role) && role !== 'primary' && role !== 'standby') {
    throw new SettingError('--role', role, `with --hash-password, --role names the account's role: one of ${broker.ROLES.join(', ')}`, { source: 'flag' });
  }
  const secret = (await readStdin()).replace(/\r?\n$/, '');
  if (secret === '') throw new SettingError('--hash-password', '', 'give the password on stdin');
  if (role === 'device') {
    const problem = broker.deviceTokenProblem(secret);
    if (problem) throw new UsageError(`--hash-password --role device: ${problem}`);
    ctx.stdout.write(`${broker.hashDeviceToken(secret)}\n`);
    return;
  }
  ctx.stdout.write(`${await broker.hashPassword(secret)}\n`);
}

export function registerBroker(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('broker')
    .description(
      'Run one MQTT broker (MQTT, MQTT over WebSocket, MQTT over TLS with a certificate): a primary, or a standby that bridges every topic under the root to the primary both ways. Prints "broker <role> listening <urls>" when ready; publishes $SYS/<broker id>/heartbeat.',
    );
  const settings = useSettings(cmd, KEYS, { required: ['role'] });
  cmd.addOption(
    new Option(
      '--hash-password',
      "read a secret on stdin, print what an account's password field holds in the auth file, and exit: a scrypt hash; with --role device (--role then names the account's role) a fast hash of a device token, which must hold at least 128 random bits (make one with: openssl rand -base64 24)",
    ),
  );
  examples(cmd, [
    'parking broker --role primary --port 1883 --allow-anonymous',
    'parking broker --role standby --port 1884 --primary mqtt://bridge:secret@10.0.0.5:1883 --auth-file /etc/parking/mqtt-accounts.json',
    "printf '%s' 's3cret' | parking broker --hash-password",
    "token=$(openssl rand -base64 24); printf '%s' \"$token\" | parking broker --hash-password --role device",
  ]);
  cmd.action(async () => {
    if (cmd.opts<{ hashPassword?: boolean }>().hashPassword) return hashPasswordCommand(cmd, ctx);
    const broker = await import('../../broker/index.ts');
    const s = settings(ctx);
    const role = s.role!;
    const logger = commandLogger(ctx, `broker-${role}`, s);
    const files = tlsFiles(cmd, ctx, s, 'MQTT over TLS');
    const tls = files ? { ...files, port: s.mqttsPort } : undefined;
    let live: import('../../accounts/index.ts').LiveAccounts | undefined;
    if (s.mqttAuthFile) {
      const { liveAccounts } = await import('../../accounts/index.ts');
      try {
        live = liveAccounts(s.mqttAuthFile);
      } catch (error) {
        if (error instanceof broker.AuthFileError) throw new SettingError(writtenAs(cmd, ctx, 'mqttAuthFile'), s.mqttAuthFile, error.message);
        throw error;
      }
    }
    const accounts = live?.accounts;
    if (!accounts?.size && !s.allowAnonymous) logger.warn('no accounts and anonymous access is off: every client will be refused (see --auth-file, --allow-anonymous)');

    // Room for the handover (up to 20 s while the fleet moves) and the drain (5 s).
    const shutdown = createShutdown({ signals: ctx.signals, logger, timeoutMs: 30_000 });
    if (live) {
      const { file, reload } = { file: s.mqttAuthFile, reload: live.reload };
      // SIGHUP: the auth file again (parking accounts changed it); a file that does not parse changes nothing.
      shutdown.onReload(() => {
        const changed = reload();
        logger.info({ file, ...changed, accounts: accounts?.size }, 'auth file reloaded: the next connections are checked against it');
      });
    }
    const starting = broker.startBroker({
      role,
      id: s.brokerId,
      host: s.bindHost,
      ...brokerPorts(role, s),
      tls,
      heartbeatMs: s.heartbeatMs,
      topicRoot: s.topicRoot,
      allowAnonymous: s.allowAnonymous,
      accounts,
      redisUrl: s.redisUrl,
      bridge: role === 'standby' ? { url: s.primaryUrl } : undefined,
      logger,
    });
    shutdown.onShutdown(async () => {
      const running = await starting.catch(() => undefined);
      await running?.close();
    });
    let running: Awaited<typeof starting>;
    try {
      running = await starting;
    } catch (error) {
      await shutdown.shutdown('start failed');
      throw error;
    }
    const urls = [running.url, running.wsUrl, running.mqttsUrl].filter(Boolean).join(' ');
    ctx.stdout.write(`broker ${role} listening ${urls}\n`);
    ctx.exitCode = await shutdown.done;
  });
}
