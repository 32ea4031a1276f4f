import { z } from 'zod';
import { doc } from './cel.ts';
import { quantity } from './common.ts';
import { storageClassName } from './syntax.ts';

export const storageDefaults = { mountPath: '/var/lib/agent', accessModes: ['ReadWriteOnce'], retainOnDelete: true } as const;

export const Storage = doc(
  z.object({
    size: quantity('Requested volume size, e.g. 1Gi. More than 0; may grow (if the storage class allows expansion), never shrink. Fixed in StatefulSet mode (its claim template is immutable): expand the claims themselves.', { field: 'storage.size', example: '1Gi', min: 'positive' }),
    storageClassName: storageClassName('Storage class; the cluster default when unset. Fixed once set.').optional(),
    accessModes: doc(z.array(z.enum(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany', 'ReadOnlyMany'])).min(1).max(4).optional(), {
      description: 'Default [ReadWriteOnce]. ReadWriteOnce forces the Recreate strategy (a rolling update would deadlock on the volume).',
    }),
    mountPath: doc(z.string().max(1024).regex(/^\//).optional(), { description: `Where the state volume is mounted. Default ${storageDefaults.mountPath}.` }),
    retainOnDelete: doc(z.boolean().optional(), { description: 'Keep the PVC (and the agent state) when the Agent is deleted. Default true.' }),
  }),
  {
    description: 'A persistent volume for agent state (positions, buffers, WAL), so state survives restarts instead of living in a temp dir.',
    rules: [
      { rule: 'quantity(string(self.size)).compareTo(quantity(string(oldSelf.size))) >= 0', message: 'storage.size can only grow: a PersistentVolumeClaim cannot shrink; create a new Agent to start with a smaller volume', fieldPath: '.size', reason: 'FieldValueForbidden' },
      { rule: 'has(self.accessModes) == has(oldSelf.accessModes) && (!has(self.accessModes) || self.accessModes == oldSelf.accessModes)', message: 'storage.accessModes cannot change after creation (a PVC\'s access modes are immutable); create a new Agent to change them', fieldPath: '.accessModes', reason: 'FieldValueForbidden' },
      { rule: 'has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)', message: 'storage.storageClassName cannot change after creation (the PVC is immutable there); create a new Agent to move storage classes', fieldPath: '.storageClassName', reason: 'FieldValueForbidden' },
    ],
  },
);
export type Storage = z.infer<typeof Storage>;
