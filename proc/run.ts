// `parking ARGS` run to its end (help, bad settings, one-shot commands, a whole drill or bench).
import { spawn } from 'node:child_process';
import { redactUrls } from '../log/index.ts';
import { BIN, ROOT, cleanEnv, track } from './env.ts';
import { ProcessError, type Exit } from './part.ts';

export interface RunOptions {
  /** Extra environment over ours without PARKING_* and the other settings (no log defaults). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (default: stdin closed at once). */
  input?: string;
  /** Default 60 s; then SIGTERM, SIGKILL 5 s later, and a ProcessError. */
  timeoutMs?: number;
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs `parking ARGS` to its end; resolves with its exit and output whatever the exit code. */
export function runParking(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    let late: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      late = setTimeout(() => child.kill('SIGKILL'), 5_000);
      reject(new ProcessError(`${redactUrls(['parking', ...args].join(' '))}: not finished within ${timeoutMs} ms\n${stderr.slice(-3000)}`, stdout + stderr));
    }, timeoutMs);
    const end = () => {
      clearTimeout(timer);
      clearTimeout(late);
    };
    child.once('error', (error) => {
      end();
      reject(error);
    });
    child.once('close', (code, signal) => {
      end();
      resolve({ code, signal, stdout, stderr });
    });
  });
}
