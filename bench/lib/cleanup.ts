// Everything the bench starts registers how to undo it here; the undo runs
// once, newest first, on a normal end, on failure, and on Ctrl-C / SIGTERM /
// SIGHUP. (A SIGKILL of the bench is covered elsewhere: the cluster's
// --owner-pid watchdog and the operator's exit-with-parent preload.)

import { parseCommand, usageOf, type Command } from './args.ts';

type Step = { what: string; run: () => Promise<unknown> | unknown };

const steps: Step[] = [];
let running: Promise<void> | undefined;

export function onCleanup(what: string, run: Step['run']): void {
  steps.push({ what, run });
}

export function cleanup(log: (msg: string) => void = () => {}): Promise<void> {
  running ??= (async () => {
    for (const step of steps.splice(0).reverse()) {
      try {
        log(`cleanup: ${step.what}`);
        await step.run();
      } catch (err) {
        log(`cleanup: ${step.what} failed: ${(err as Error).message}`);
      }
    }
  })();
  return running;
}

/** Signals run the cleanup and exit 130 (a second signal exits at once). */
export function cleanupOnSignals(log: (msg: string) => void): void {
  let signalled = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (signalled) process.exit(130);
      signalled = true;
      log(`${sig}: cleaning up (again to exit at once)`);
      void cleanup(log).finally(() => process.exit(130));
    });
  }
}

/**
 * What every bench command does around its work: a bad argument exits 2 with
 * the usage, --help prints it, signals and the end both run the cleanup, and
 * the process exits with main's code (1 when it threw, after `onFailure`).
 */
export async function runCommand<O extends { help: boolean }>(c: {
  name: string;
  /** The command line's table (bench/lib/args.ts): its options and its --help. */
  command: Command<O>;
  main: (options: O) => Promise<number>;
  log: (msg: string) => void;
  onFailure?: () => void;
}): Promise<never> {
  let options: O;
  try {
    options = parseCommand(c.command, process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${c.name}: ${(err as Error).message}\n\n${usageOf(c.command)}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${usageOf(c.command)}\n`);
    process.exit(0);
  }
  cleanupOnSignals(c.log);
  let code = 1;
  try {
    code = await c.main(options);
  } catch (err) {
    c.log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    c.onFailure?.();
  } finally {
    await cleanup(c.log);
  }
  process.exit(code);
}
