import { createRequire, registerHooks } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';

// Only for kubeconfigs src/kube/kube-config.ts does not serve (exec plugins,
// auth-providers, basic auth, impersonation, proxies), and loaded only then.
// client-node's KubeConfig (dist/config.js) imports its whole generated layer
// ('./gen/index.js': every API class and all 2,742 model files, about 60 MiB
// of RSS) only to build a Configuration in KubeConfig.makeApiClient, which the
// operator never calls (its requests go through src/runtime/kube-http.ts).
// Loaded here with that one import pointed at client-node-gen.ts,
// which re-exports the two names config.js uses from those small modules, an
// operator with 0 Agents starts about 60 MiB smaller (issue 13). Nothing else
// in the operator imports the package's index at run time (test/unit/kube/
// module-graph.test.ts proves it), so the generated layer is never loaded.
// Only this import of this file is redirected, and only while this loader is
// the first to load config.js; anything else gets the package as published.

const configModule = '@kubernetes/client-node/dist/config.js';
const shim = new URL(`./client-node-gen${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;
let loaded: typeof KubeConfig | undefined;

/** client-node's KubeConfig class, without its generated API layer. */
export function kubeConfigClass(): typeof KubeConfig {
  if (loaded) return loaded;
  const hooks = registerHooks({
    resolve(specifier, context, next) {
      if (specifier === './gen/index.js' && context.parentURL?.endsWith('/@kubernetes/client-node/dist/config.js')) return next(shim, context);
      return next(specifier, context);
    },
  });
  try {
    loaded = (createRequire(import.meta.url)(configModule) as { KubeConfig: typeof KubeConfig }).KubeConfig;
  } finally {
    hooks.deregister();
  }
  return loaded;
}
