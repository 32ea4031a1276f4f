import { z } from 'zod';
import { deeperThan, maxRenderedConfigBytes } from './bounds.ts';
import { doc } from './cel.ts';
import { freeForm, objectName } from './common.ts';
import { dataKey } from './syntax.ts';

export const configDefaults = { mountPath: '/etc/agent', fileName: 'config.yaml' } as const;

export const ConfigLayer = doc(
  z.object({
    configMap: doc(z.object({ name: objectName('ConfigMap'), key: dataKey('ConfigMap') }).optional(), {
      description: 'A YAML or JSON document held in a ConfigMap key (a mapping at the top level).',
    }),
    inline: freeForm(`A mapping written in the Agent itself; at most ${maxRenderedConfigBytes / 1024} KiB as JSON.`).superRefine((value, ctx) => {
      // Only once the depth is known to be bounded: JSON.stringify recurses.
      if (value === undefined || deeperThan(value)) return;
      const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
      if (bytes > maxRenderedConfigBytes) ctx.addIssue({ code: 'custom', message: `${bytes} bytes as JSON, over the ${maxRenderedConfigBytes} (${maxRenderedConfigBytes / 1024} KiB) a rendered config may have: move large data into a volume (podTemplate.volumes)` });
    }).optional(),
  }),
  {
    description: 'One configuration layer: a ConfigMap key or an inline mapping.',
    rules: [{ rule: 'has(self.configMap) != has(self.inline)', message: 'set exactly one of configMap or inline in each config layer' }],
  },
);
export type ConfigLayer = z.infer<typeof ConfigLayer>;

export const AgentConfig = doc(
  z.object({
    mountPath: doc(z.string().max(1024).regex(/^\//).optional(), { description: `Directory the rendered file is mounted in. Default ${configDefaults.mountPath}.` }),
    fileName: doc(z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/).optional(), { description: `Rendered file name; .json renders JSON, anything else YAML. Default ${configDefaults.fileName}.` }),
    layers: doc(z.array(ConfigLayer).min(1).max(16), {
      description: 'Deep-merged in order, later layers win (mappings merge key by key; lists and scalars are replaced; `null` in a later layer removes the key). The result is rendered into an owned ConfigMap; a change of any layer rolls the pods.',
    }),
  }),
  { description: 'Layered configuration, merged in a defined order so defaults, environment and overrides cannot be loaded in the wrong order.' },
);
export type AgentConfig = z.infer<typeof AgentConfig>;
