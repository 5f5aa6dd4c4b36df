// A DynamoDB Local and an API of a test file's own, in AUTH_MODE=jwt trusting the test issuer
// (tests/support/tokens.ts); `keys` says where the API finds its keys, plus any other settings.
import { freePort, prepareTable, startApi, startDynamo, type Running } from '../../scripts/stack.js';
import { AUDIENCES, ISSUER } from './tokens.js';

export async function startJwtStack(table: string, keys: { AUTH_JWKS: string; AUTH_JWKS_URL: string } & Record<string, string>): Promise<{ url: string; dynamoEndpoint: string; stop(): Promise<void> }> {
  const dynamo = await startDynamo();
  let api: Running | undefined;
  const stop = async () => {
    await api?.stop();
    await dynamo.stop();
  };
  try {
    await prepareTable(dynamo.url, table);
    api = await startApi({ port: await freePort(), dynamoEndpoint: dynamo.url, table, quiet: true, env: { AUTH_MODE: 'jwt', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCES.join(','), ...keys } });
    return { url: api.url, dynamoEndpoint: dynamo.url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
