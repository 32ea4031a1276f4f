// kubectl-agent: the `kubectl agent` plugin (krew conventions: an executable
// named kubectl-agent on PATH). Wiring only: parse -> read through kubectl ->
// pure view -> print, or a request written as an annotation.
import { parseArgs } from './args.ts';
import { formatHistory, history } from './history.ts';
import { annotate as annotateArgs, currentUser, KubectlError, listAgents, snapshot, type Kubectl } from './kubectl.ts';
import { annotate } from './requests.ts';
import { formatStatusTree, statusTree } from './status-tree.ts';
import { workloadKind } from './view.ts';
import { formatWhy, why } from './why.ts';

function main(argv: readonly string[]): number {
  const p = parseArgs(argv);
  if ('error' in p) {
    process.stderr.write(`error: ${p.error}\n`);
    return 2;
  }
  if (p.help) {
    process.stdout.write(p.text);
    return 0;
  }
  const k: Kubectl = { bin: process.env['KUBECTL'] ?? 'kubectl', flags: p.kubectlFlags };
  /** `-o json` prints the view itself, otherwise its text. */
  const show = <T>(view: T, text: (view: T) => string) => process.stdout.write(p.output === 'json' ? JSON.stringify(view, null, 2) + '\n' : text(view));
  try {
    switch (p.command) {
      case 'status': {
        const names = p.name ? [p.name] : listAgents(k).map((a) => a.metadata.name).sort();
        const trees = names.map((n) => statusTree(snapshot(k, n)));
        if (p.name) show(trees[0]!, formatStatusTree);
        else show(trees, (all) => (all.length ? all.map(formatStatusTree).join('\n') : 'No Agents found.\n'));
        return 0;
      }
      case 'why':
        show(why(snapshot(k, p.name!)), formatWhy);
        return 0;
      case 'history': {
        const s = snapshot(k, p.name!);
        show(history(s), (rows) => formatHistory(rows, workloadKind(s.agent)));
        return 0;
      }
      case 'hold':
      case 'resume':
      case 'rollback': {
        const agent = snapshot(k, p.name!).agent;
        const req = p.command === 'hold' ? { kind: 'hold' as const, by: currentUser(k) }
          : p.command === 'resume' ? { kind: 'resume' as const } : { kind: 'rollback' as const, to: p.to };
        const change = annotate(agent, req, new Date());
        if (!change.ok) {
          process.stderr.write(`error: ${change.error}\n`);
          return 1;
        }
        annotateArgs(k, p.name!, change.set, change.remove);
        process.stdout.write(`${change.summary}\n`);
        return 0;
      }
    }
  } catch (e) {
    if (e instanceof KubectlError || e instanceof SyntaxError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
