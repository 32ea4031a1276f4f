// The runtime logs through this structural subset of pino's Logger, injected by
// the caller, so it never reaches for a global logger and tests can record lines.
// A pino Logger satisfies it as is.

export interface LogFn {
  (obj: unknown, msg?: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFn = () => {};

export const noopLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => noopLogger,
};
