// The DynamoDB client's identity towards a local endpoint: the same region and key from every
// process, whatever AWS_REGION says, since a DynamoDB Local started without -sharedDb keeps one
// database per key and region (npm start creates the table in one, the functions must use it).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../lib/dynamo/client.js';

afterEach(() => vi.unstubAllEnvs());

describe('createClient', () => {
  it('signs for one fixed region and key at a local endpoint, whatever the environment says', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'harness');
    const client = createClient('http://localhost:1');
    expect(await client.config.region()).toBe('us-east-1');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'local' });
    client.destroy();
  });

  it('takes the function\'s region in AWS (no endpoint)', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('DYNAMODB_ENDPOINT', '');
    const client = createClient();
    expect(await client.config.region()).toBe('eu-west-1');
    client.destroy();
  });
});
