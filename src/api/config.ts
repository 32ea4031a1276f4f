import { z } from 'zod';
import { deeperThan, maxRenderedConfigBytes } from './bounds.ts';
import { doc } from './cel.ts';
import { freeForm, objectName } from './common.ts';
import { dataKey } from './syntax.ts';

export const configDefaults = { mountPath: '/etc/agent', fileName: 'config.yaml' } as const;

export const reloadModes = ['Restart', 'InPlace', 'HTTP'] as const;
export type ReloadMode = (typeof reloadModes)[number];
export const reloadDefaults = { mode: 'Restart', path: '/-/reload', method: 'POST', onFailure: 'RestartPod' } as const;

export const ConfigReload = doc(
  z.object({
    mode: doc(z.enum(reloadModes).optional(), {
      description: 'Restart (default): a config change is a new revision and rolls the pods; a rollback runs the exact config of the revision it goes back to. '
        + 'InPlace: the file is updated inside the running pods (the agent watches it) and no pod is replaced; the pods mount one mutable ConfigMap <agent>-config. '
        + 'HTTP: as InPlace, then the operator calls the agent\'s reload endpoint (http) on each pod. See docs/operations.md "Config reload".',
    }),
    http: doc(z.object({
      port: doc(z.int().min(1).max(65535).optional(), { description: 'Port of the reload endpoint on the pod IP. Default: the first TCP port in spec.ports.' }),
      path: doc(z.string().max(1024).regex(/^\/[^\s]*$/).optional(), { description: `Path of the reload endpoint. Default ${reloadDefaults.path} (Prometheus; fluent-bit: /api/v2/reload).` }),
      method: doc(z.enum(['POST', 'PUT', 'GET']).optional(), { description: `Default ${reloadDefaults.method}.` }),
    }).optional(), { description: 'The reload endpoint, for mode HTTP. Any 2xx answer within 5 s is success.' }),
    onFailure: doc(z.enum(['RestartPod', 'Report']).optional(), {
      description: 'HTTP mode: what a pod whose reload call failed 3 times gets. RestartPod (default): the pod is deleted and comes back with the current file; Report: the condition and event only.',
    }),
  }),
  {
    description: 'How a config change reaches the running agents.',
    rules: [{ rule: "!has(self.http) || (has(self.mode) && self.mode == 'HTTP')", message: 'config.reload.http is used only with mode HTTP: set mode: HTTP or remove http', fieldPath: '.http' }],
  },
);
export type ConfigReload = z.infer<typeof ConfigReload>;

export const ConfigValidate = doc(
  z.object({
    command: doc(z.array(z.string().max(4096)).min(1).max(32), {
      description: 'Run in an init container of the agent image with the rendered file mounted as the agent sees it (its path in $(CONFIG_FILE)), e.g. [fluent-bit, --dry-run, -c, $(CONFIG_FILE)]; a non-zero exit stops the pod before the agent starts.',
    }),
  }),
  { description: 'Validation of the rendered file by a command the agent image provides, in an init container. With reload Restart a config the agent would reject never replaces a working one (the new pod fails in its init container and the rollback policy acts); with InPlace/HTTP it runs only when a pod starts, not on an in-place change (docs/operations.md).' },
);
export type ConfigValidate = z.infer<typeof ConfigValidate>;

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
      description: 'Deep-merged in order, later layers win (mappings merge key by key; lists and scalars are replaced; `null` in a later layer removes the key). The result is rendered into an owned ConfigMap; a change of any layer rolls the pods (reload.mode Restart) or reaches them in place (InPlace, HTTP).',
    }),
    reload: ConfigReload.optional(),
    validate: ConfigValidate.optional(),
  }),
  { description: 'Layered configuration, merged in a defined order so defaults, environment and overrides cannot be loaded in the wrong order.' },
);
export type AgentConfig = z.infer<typeof AgentConfig>;
