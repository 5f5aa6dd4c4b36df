// `npm start`: DynamoDB Local with data on disk (.dynamodb/), the table, and the API on PORT
// (default 8000). With DYNAMODB_ENDPOINT set, that DynamoDB is used instead. Ctrl-C stops all.
import { join } from 'node:path';
import { authConfig } from '../lib/auth/jwt.js';
import { MINT_HINT, devIssuerEnv } from './dev-issuer.js';
import { ROOT, prepareTable, startApi, startDynamo, type Running } from './stack.js';

const port = Number(process.env.PORT || 8000);
const table = process.env.TABLE_NAME || 'points';
const started: Running[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.all(started.reverse().map((s) => s.stop()));
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));

// jwt with no issuer trusts the local one (scripts/dev-issuer.ts).
const devIssuer = process.env.AUTH_MODE === 'jwt' && !process.env.AUTH_ISSUER;

try {
  // AUTH_* settings the functions would refuse (lib/auth/jwt.ts) stop npm start here, with the reason,
  // rather than an API that answers every request 500.
  if (!devIssuer) authConfig();
  let endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    const dynamoPort = Number(process.env.DYNAMODB_PORT || 0) || undefined;
    const dynamo = await startDynamo({ dbPath: join(ROOT, '.dynamodb'), ...(dynamoPort ? { port: dynamoPort } : {}) });
    started.push(dynamo);
    endpoint = dynamo.url;
    console.log(`DynamoDB Local on ${endpoint} (data in .dynamodb/)`);
  }
  await prepareTable(endpoint, table);
  // AUTH_* reach the functions from this environment.
  const env = devIssuer ? await devIssuerEnv() : {};
  const api = await startApi({ port, dynamoEndpoint: endpoint, table, inProcess: process.env.OFFLINE_WORKERS !== '1', env });
  started.push(api);
  console.log(`Points API ready on http://localhost:${port} (AUTH_MODE=${process.env.AUTH_MODE || 'off'}) — try: curl http://localhost:${port}/balance`);
  if (devIssuer) {
    console.log(`Trusting the local development issuer (key in .auth/). Mint a token with:\n  ${MINT_HINT}`);
    console.log(`  curl -H "Authorization: Bearer $(npm run -s token -- --sub alice --scope points:read)" http://localhost:${port}/balance`);
  }
  for (const s of started) {
    s.process.once('exit', (code) => {
      if (stopping) return;
      console.error(`a local service exited (code ${code}); stopping`);
      void stopAll(1);
    });
  }
} catch (error) {
  console.error((error as Error).message);
  await stopAll(1);
}
