// One DynamoDB Local (in memory) and one API under serverless-offline for the whole run, on
// free ports; every test uses its own user ids, so files can run side by side.
import type { TestProject } from 'vitest/node';
import { freePort, prepareTable, startApi, startDynamo } from '../../scripts/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    dynamoEndpoint: string;
    table: string;
  }
}

/** Webhooks in the tests: 4 attempts 1 s apart, and no answer within 3 s counts as none, to keep them quick. */
export const WEBHOOK_TEST_ENV = { WEBHOOK_RETRY_SCHEDULE: '1,1,1', WEBHOOK_ATTEMPT_TIMEOUT_SECONDS: '3' };

export default async function setup(project: TestProject) {
  const table = 'points-test';
  const dynamo = await startDynamo();
  try {
    await prepareTable(dynamo.url, table);
    const api = await startApi({ port: await freePort(), dynamoEndpoint: dynamo.url, table, quiet: true, env: { AUTH_MODE: 'off', ...WEBHOOK_TEST_ENV } });
    project.provide('apiUrl', api.url);
    project.provide('dynamoEndpoint', dynamo.url);
    project.provide('table', table);
    return async () => {
      await api.stop();
      await dynamo.stop();
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}
