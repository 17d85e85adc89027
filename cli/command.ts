// Helpers every command file uses: help examples and loggers.
import type { Command } from 'commander';
import type { CliContext } from './context.ts';

/** Adds examples to a command's --help. */
export function examples(cmd: Command, lines: readonly string[]): Command {
  const title = lines.length > 1 ? 'Examples' : 'Example';
  return cmd.addHelpText('after', `\n${title}:\n${lines.map((line) => `  $ ${line}`).join('\n')}`);
}

/** What `refused` needs of a link: its refusal and connection events. */
interface RefusingLink {
  on(event: 'refused', listener: (url: string, reason: string) => void): unknown;
  on(event: 'connected', listener: (url: string) => void): unknown;
}

/**
 * Says on stderr, once per broker until it accepts, that a broker refused the account of a
 * client of ours (`not authorised: …`): the link keeps trying, and a newcomer must not be left
 * with a client that waits in silence. `links`: one link, or a process's many (said once for all).
 */
export function sayRefusals(ctx: Pick<CliContext, 'stderr'>, links: readonly RefusingLink[]): void {
  const said = new Set<string>();
  for (const link of links) {
    link.on('refused', (url, reason) => {
      if (said.has(url)) return;
      said.add(url);
      let where = url;
      let user = '';
      try {
        const u = new URL(url);
        user = decodeURIComponent(u.username);
        where = `${u.protocol}//${u.host}`;
      } catch {
        // not a URL: said as it is
      }
      ctx.stderr.write(`not authorised: ${where} refused ${user ? `the account '${user}'` : 'a connection without an account'} (${reason}); still trying. Give an account in the broker URLs (mqtt://user:secret@host:1883) and check it with parking accounts list\n`);
    });
    link.on('connected', (url) => said.delete(url));
  }
}
