// Command line of `kubectl agent`, parsed purely. kubectl passes every
// argument after `agent` through, so kubectl's own global flags (-n, --context,
// --kubeconfig, ...) arrive here and are handed back to kubectl.

export const commands = ['status', 'why', 'history', 'hold', 'resume', 'rollback'] as const;
export type Command = (typeof commands)[number];

export type Parsed =
  | { help: true; text: string }
  | { help: false; command: Command; name?: string | undefined; to?: string | undefined; output: 'text' | 'json'; kubectlFlags: string[] }
  | { error: string };

export const usage = `kubectl agent: see and steer Agents of agent-operator

Usage:
  kubectl agent status [NAME]              Agent -> workload -> revisions -> pods, with failures and the remediation in force
  kubectl agent why NAME                   the diagnosis, and what happened and what the operator did, in sentences
  kubectl agent history NAME               revisions: what changed, which was healthy, which runs now
  kubectl agent hold NAME                  stop the operator remediating this Agent (annotation agent-operator.dev/hold)
  kubectl agent resume NAME                let it remediate again; lifts the operator's own hold too
  kubectl agent rollback NAME [--to REV]   run REV (default: the last healthy revision) until the spec changes

Flags:
  -o, --output json   machine-readable output (status, why, history)
  -h, --help          this text
  kubectl's global flags (-n NAMESPACE, --context, --kubeconfig, --as, ...) are passed on to kubectl.

hold, resume and rollback write annotations on the Agent, never its spec or status:
GitOps tools leave them alone. See docs/operations.md, "Operator actions".
`;

/** kubectl global flags that take a value as the next argument. */
const valued = new Set(['-n', '--namespace', '--context', '--kubeconfig', '--cluster', '--user', '--as', '--as-group', '--server', '-s', '--token', '--request-timeout', '--certificate-authority', '--client-certificate', '--client-key', '--tls-server-name']);

export function parseArgs(argv: readonly string[]): Parsed {
  const kubectlFlags: string[] = [];
  const positional: string[] = [];
  let output: 'text' | 'json' = 'text';
  let to: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`flag ${a} needs a value`);
      return v;
    };
    try {
      if (a === '-h' || a === '--help' || a === 'help') return { help: true, text: usage };
      else if (a === '-o' || a === '--output') output = outputOf(value());
      else if (a.startsWith('--output=') || a.startsWith('-o=')) output = outputOf(a.slice(a.indexOf('=') + 1));
      else if (a === '--to') to = value();
      else if (a.startsWith('--to=')) to = a.slice(5);
      else if (valued.has(a)) kubectlFlags.push(a, value());
      else if (a.startsWith('-')) kubectlFlags.push(a);
      else positional.push(a);
    } catch (e) {
      return { error: (e as Error).message };
    }
  }
  const [command, name, ...rest] = positional;
  if (command === undefined) return { help: true, text: usage };
  if (!(commands as readonly string[]).includes(command)) return { error: `unknown command "${command}": one of ${commands.join(', ')} (kubectl agent --help)` };
  if (rest.length) return { error: `unexpected arguments: ${rest.join(' ')}` };
  if (command !== 'status' && name === undefined) return { error: `${command} needs the Agent's name: kubectl agent ${command} NAME` };
  if (to !== undefined && command !== 'rollback') return { error: '--to is a rollback flag' };
  return { help: false, command: command as Command, name, to, output, kubectlFlags };
}

function outputOf(v: string): 'text' | 'json' {
  if (v !== 'json') throw new Error(`--output ${v} is not supported: use -o json, or no -o for text`);
  return 'json';
}
