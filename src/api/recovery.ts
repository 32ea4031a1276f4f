import { z } from 'zod';
import { doc } from './cel.ts';
import { quantity } from './common.ts';

export const recoveryDefaults = {
  initialBackoffSeconds: 10,
  maxBackoffSeconds: 300,
  maxAttempts: 3,
  windowSeconds: 3600,
  healthyResetSeconds: 600,
  oomAction: 'IncreaseMemory',
  onExhausted: 'Rollback',
} as const;

/** Bounds no spec can lift (src/recovery/limits.ts says why). */
export const remediationLimits = { minBackoffSeconds: 10, maxPodDeletionsPerHour: 12 } as const;

const int = (description: string, min: number, max: number) => doc(z.int().min(min).max(max).optional(), { description });

export const Recovery = doc(
  z.object({
    restart: doc(z.object({
      initialBackoffSeconds: int(`Wait before the first operator restart of a failing pod. Default ${recoveryDefaults.initialBackoffSeconds}. No step comes sooner than ${remediationLimits.minBackoffSeconds}s (the kubelet's own first back-off), whatever this says.`, 1, 3600),
      maxBackoffSeconds: int(`The backoff doubles per attempt up to this cap. Default ${recoveryDefaults.maxBackoffSeconds}.`, 1, 86400),
      maxAttempts: int(`Restarts allowed within windowSeconds before onExhausted applies; 0 disables operator restarts. Default ${recoveryDefaults.maxAttempts}. Whatever this says, the operator deletes at most ${remediationLimits.maxPodDeletionsPerHour} pods of one Agent in any hour; reaching that also hands over to onExhausted.`, 0, 100),
      windowSeconds: int(`The window maxAttempts counts in. Default ${recoveryDefaults.windowSeconds}.`, 60, 604800),
      healthyResetSeconds: int(`Attempts reset after the Agent has been healthy this long. Default ${recoveryDefaults.healthyResetSeconds}.`, 10, 86400),
    }).optional(), {
      description: 'Operator-level restart: a failing pod is deleted so it is recreated fresh, on an exponential backoff.',
      rules: [{
        rule: `(has(self.initialBackoffSeconds) ? self.initialBackoffSeconds : ${recoveryDefaults.initialBackoffSeconds}) <= (has(self.maxBackoffSeconds) ? self.maxBackoffSeconds : ${recoveryDefaults.maxBackoffSeconds})`,
        message: `initialBackoffSeconds must not exceed maxBackoffSeconds (defaults ${recoveryDefaults.initialBackoffSeconds} and ${recoveryDefaults.maxBackoffSeconds})`,
        fieldPath: '.initialBackoffSeconds',
      }],
    }),
    oomKilled: doc(z.object({
      action: doc(z.enum(['IncreaseMemory', 'None']).optional(), { description: 'IncreaseMemory raises the memory limit by max(+20%, +100Mi) per OOM kill, never above maxMemory; the raise lives in status, the spec is untouched. Default IncreaseMemory.' }),
      maxMemory: quantity('The highest memory limit the operator may set. Default: twice the memory limit.', { field: 'recovery.oomKilled.maxMemory', example: '1Gi', min: 'positive' }).optional(),
      proactive: doc(z.boolean().optional(), { description: 'With IncreaseMemory: raise the limit before the kill, by the same rule and under the same maxMemory, once the working set has stayed near the limit (the MemoryNearLimit condition; needs the operator\'s node metrics, chart value nodeMetrics.enabled). Default false.' }),
    }).optional(), { description: 'What to do when the agent is OOMKilled.' }),
    onExhausted: doc(z.enum(['Rollback', 'Hold']).optional(), {
      description: 'When restarts are used up: Rollback runs the last healthy revision (the spec stays as written), Hold stops acting and reports Stalled. Default Rollback; Hold when no healthy revision exists.',
    }),
  }),
  { description: 'Automatic remediation by policy. Every action is visible in status.recovery, in events and in the Degraded condition.' },
);
export type Recovery = z.infer<typeof Recovery>;
