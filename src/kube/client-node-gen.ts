// What client-node's config.js takes from its generated layer ('./gen/index.js'),
// from the two small modules that define it; client-node-config.ts points config.js
// here. See client-node-config.ts for why.
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
