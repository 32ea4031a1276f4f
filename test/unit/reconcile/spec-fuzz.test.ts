// Property: any spec the CRD accepts goes through resolveSpec -> desiredObjects
// -> plan without throwing. 10,000 generated specs (FUZZ_RUNS to change),
// from a seed printed with the result; FUZZ_SEED=<seed> replays a run exactly.
// The generator (test/fixtures/arbitrary-spec.ts) covers every field of the
// schema and respects its CEL rules; the e2e twin (test/e2e/spec-dry-run.test.ts)
// checks a sample of the built objects against a real apiserver.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AgentSpec } from '../../../src/api/spec.ts';
import { resolveSpec } from '../../../src/desired/index.ts';
import { desiredObjects } from '../../fixtures/desired.ts';
import { plan } from '../../../src/reconcile/plan.ts';
import { agentOf, agentSpec } from '../../fixtures/arbitrary-spec.ts';

const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;

describe('generated specs', () => {
  it(`${runs} specs valid for the schema go through resolveSpec, desiredObjects and plan without throwing`, (t) => {
    t.diagnostic(`FUZZ_SEED=${seed} FUZZ_RUNS=${runs} reproduces this run`);
    const outcomes = { built: 0, refused: 0, held: 0, objects: 0 };
    fc.assert(fc.property(agentSpec('fuzz'), ({ spec, configMapTexts }) => {
      // The generator's own check: the zod schema (everything but CEL) takes the spec as is.
      AgentSpec.parse(spec);
      const agent = agentOf('fuzz', 'default', spec);
      resolveSpec(spec);
      const desired = desiredObjects(agent, { referenceDigests: {}, configLayers: (spec.config?.layers ?? []).map((l) => (l.configMap ? configMapTexts[`${l.configMap.name}/${l.configMap.key}`] : undefined)) });
      if (desired.ok) outcomes.built++;
      else {
        // A refusal is an answer, not a crash: it must say what to fix.
        assert.ok(desired.message.length > 0, 'a refusal carries a message');
        outcomes.refused++;
      }
      const p = plan({
        agent, replicaSets: [], pods: [], now: new Date('2026-11-30T12:00:00Z'),
        references: { digests: {}, missing: [], configMapTexts },
        dependencies: { ready: true, waits: [], none: (spec.dependsOn ?? []).length === 0 },
      });
      outcomes.objects += p.apply.length;
      // The plan of a first reconcile always reports a status for generation 1.
      assert.equal(p.status?.observedGeneration, 1);
      // A buildable managed Agent gets its workload (of its mode's kind), or the
      // operator's pod policy holds it, and then the status says so: Stalled, with a message.
      if (desired.ok && spec.managementState !== 'Unmanaged' && !p.apply.some((o) => o.kind === (spec.mode ?? 'Deployment'))) {
        const stalled = p.status?.conditions?.find((c) => c.type === 'Stalled');
        assert.equal(stalled?.status, 'True', 'a managed Agent without its workload is reported Stalled');
        assert.ok((stalled?.message ?? '').length > 0, 'the Stalled condition says why');
        outcomes.held++;
      }
    }), { numRuns: runs, seed });
    t.diagnostic(`built ${outcomes.built} (${outcomes.held} of them held by the pod policy), refused with a reason ${outcomes.refused}, ${outcomes.objects} objects planned`);
    assert.ok(outcomes.built > runs / 2, `most generated specs are buildable (${outcomes.built}/${runs}): the generator explores the happy path too`);
  });
});
