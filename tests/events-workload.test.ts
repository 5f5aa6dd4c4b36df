// SPEC "Events and statements" after a random workload over HTTP (tests/support/workload.ts):
// every ledger item appears exactly once in each payer feed it belongs to, in each user's ledger
// order, and every statement agrees with the ledgers and balances.
import { describe, it } from 'vitest';
import { apiUrl, client, newUser } from './support/http.js';
import { newPayer } from './support/events.js';
import { expectFeeds, expectStatements, expectedEvents } from './support/events-check.js';
import { randomWorkload, settle } from './support/workload.js';

const api = client(apiUrl);

describe('the events pipeline after a random workload', () => {
  it('puts every ledger item exactly once in each payer feed, in ledger order, and statements agree', async () => {
    const users = Array.from({ length: 10 }, () => newUser('w'));
    const payers = Array.from({ length: 4 }, () => newPayer('W'));
    await randomWorkload(api, 7, users, payers, 200);
    const { balances, ledgers } = await settle(api, users);
    const feeds = await expectFeeds(expectedEvents(ledgers));
    await expectStatements(feeds, balances);
  }, 300_000);
});
