// Modules swapped out of every Lambda bundle: serverless.yml custom.esbuild.alias, and the same
// for the bench's cold-start build (scripts/bench/coldstart.ts). Each file says why.
const { join } = require('node:path');

const lib = (file) => join(__dirname, '..', 'lib', 'dynamo', 'shims', file);

module.exports = {
  '@aws-sdk/credential-provider-node': lib('lambda-credentials.ts'),
  '@aws-sdk/middleware-endpoint-discovery': lib('no-endpoint-discovery.ts'),
  '@smithy/core/event-streams': lib('no-event-streams.ts'),
  'node:process': lib('node-process.ts'),
};
