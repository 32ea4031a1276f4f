// The one command-line parser of the bench entry points. Each command is a
// table (bench/lib/commands.ts, bench/chaos/args.ts): its flags, what each sets
// and its help line; parsing and the --help text both come from that table, so
// a flag cannot be accepted without being listed, or listed without being
// accepted. Pure: argv in, options or an error naming the flag out.

/** What one flag does to the options; `arg` (the placeholder --help shows) marks a flag that takes a value. */
export interface Flag<O> {
  /** The value's placeholder in --help (`N`, `DIR`); absent: a switch without a value. */
  arg?: string;
  /** --help's text; lines after the first are continuation lines. */
  help: string;
  apply: (o: O, value: string, flag: string) => void;
}

export interface Command<O extends { help: boolean }> {
  /** The first line of --help. */
  synopsis: string;
  /** The paragraph after it: what the command does. */
  about?: string;
  flags: Record<string, Flag<O>>;
  /** Lines after the flags (environment variables). */
  footer?: string;
  /** Fresh defaults for one parse. */
  defaults: () => O;
  /** Rules across flags, applied after the last one (e.g. no more samples than Agents). */
  finish?: (o: O) => void;
}

type KeysOf<O, V> = { [K in keyof O]: O[K] extends V ? K : never }[keyof O];

/** A flag's whole-number value within [min, max], or an error naming the flag. */
export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, got ${text}`);
  return n;
}

/** `--flag N`: a whole number within [min, max]. */
export function whole<O>(key: KeysOf<O, number | undefined>, min: number, max: number, arg: string, help: string): Flag<O> {
  return { arg, help, apply: (o, v, flag) => { (o as Record<typeof key, number>)[key] = wholeNumber(flag, v, min, max); } };
}

/** `--flag X`: any finite number within [min, max] (fractions allowed). */
export function decimal<O>(key: KeysOf<O, number | undefined>, min: number, max: number, arg: string, help: string): Flag<O> {
  return {
    arg, help, apply: (o, v, flag) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`${flag} must be a number from ${min} to ${max}, got ${v}`);
      (o as Record<typeof key, number>)[key] = n;
    },
  };
}

/** `--flag TEXT`: the value as given, or mapped (e.g. a path resolved). */
export function text<O>(key: KeysOf<O, string | undefined>, arg: string, help: string, map: (v: string) => string = (v) => v): Flag<O> {
  return { arg, help, apply: (o, v) => { (o as Record<typeof key, string>)[key] = map(v); } };
}

/** `--flag A`: one of the choices, or an error listing them. */
export function choice<O, C extends string>(key: KeysOf<O, C | undefined>, choices: readonly C[], arg: string, help: string): Flag<O> {
  return {
    arg, help, apply: (o, v, flag) => {
      if (!(choices as readonly string[]).includes(v)) throw new Error(`${flag} takes ${choices.join(' or ')}, got ${v}`);
      (o as Record<typeof key, string>)[key] = v;
    },
  };
}

/** `--flag` without a value: sets the key to `value` (`--keep` true, `--no-restart` false). */
export function toggle<O>(key: KeysOf<O, boolean>, value: boolean, help: string): Flag<O> {
  return { help, apply: (o) => { (o as Record<typeof key, boolean>)[key] = value; } };
}

/**
 * Walks argv as flags, `--flag value` and `--flag=value` alike: `value()`
 * takes the flag's value or throws naming the flag.
 */
export function forEachFlag(argv: readonly string[], visit: (flag: string, value: () => string, arg: string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    visit(flag, () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    }, arg);
  }
}

/** The command's options from argv; --help and -h set `help`, anything not in the table is an error. */
export function parseCommand<O extends { help: boolean }>(c: Command<O>, argv: readonly string[]): O {
  const o = c.defaults();
  forEachFlag(argv, (flag, value, arg) => {
    if (flag === '--help' || flag === '-h') o.help = true;
    else if (Object.hasOwn(c.flags, flag)) {
      const f = c.flags[flag]!;
      if (f.arg === undefined && arg.includes('=')) throw new Error(`${flag} takes no value, got ${arg}`);
      f.apply(o, f.arg === undefined ? '' : value(), flag);
    } else throw new Error(`unknown argument ${arg}`);
  });
  c.finish?.(o);
  return o;
}

const helpColumn = 27;

/** --help: the synopsis, the paragraph, one line per flag (its continuation lines aligned under it), the footer. */
export function usageOf<O extends { help: boolean }>(c: Command<O>): string {
  const flags = Object.entries(c.flags).map(([flag, f]) => {
    const name = `  ${flag}${f.arg === undefined ? '' : ` ${f.arg}`}`;
    const [first, ...rest] = f.help.split('\n');
    const lead = name.length < helpColumn - 1 ? name.padEnd(helpColumn) : `${name}\n${' '.repeat(helpColumn)}`;
    return [`${lead}${first}`, ...rest.map((l) => `${' '.repeat(helpColumn)}${l}`)].join('\n');
  });
  return [c.synopsis, ...(c.about ? ['', c.about, ''] : []), ...flags, ...(c.footer ? [c.footer] : [])].join('\n');
}
