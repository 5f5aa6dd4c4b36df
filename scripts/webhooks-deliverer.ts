// The local stand-in for the scheduled deliver function (functions/deliver.ts): sweeps the webhook
// delivery schedule every WEBHOOK_SWEEP_MS (default 250 ms) until SIGTERM/SIGINT, then finishes the
// attempts in flight. scripts/stack.ts starts it beside the API (npm start, the tests); it reads
// DYNAMODB_ENDPOINT, TABLE_NAME, WEBHOOK_RETRY_SCHEDULE and IS_OFFLINE from its environment.
import { deliverer } from '../lib/app.js';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

await deliverer.run(Number(process.env.WEBHOOK_SWEEP_MS || 250), stop.signal);
process.exit(0);
