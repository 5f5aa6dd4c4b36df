// Bundled in place of @aws-sdk/middleware-endpoint-discovery (scripts/bundle-aliases.cjs). In this
// SDK version no DynamoDB command adds the discovery middleware; only the client's constructor
// still resolves its settings, building an unused 1,000-entry LRU cache and bundling the
// DescribeEndpoints command and the cache library (about 10 KB) into every cold start.

/** The setting is never read from the environment or ini files: discovery cannot be turned on. */
export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = {
  environmentVariableSelector: () => undefined,
  configFileSelector: () => undefined,
  default: undefined,
};

export const resolveEndpointDiscoveryConfig = <T>(input: T): T => input;
