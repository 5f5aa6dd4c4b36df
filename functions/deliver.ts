// The deliverer, run every minute by EventBridge (serverless.yml): it sweeps the delivery schedule
// every second for most of the minute, so an attempt that is due waits about a second, then waits
// for the attempts it started. Invocations may overlap: a delivery is claimed before its attempt.
import { deliverer } from '../lib/app.js';
import { flushWebhookMetrics } from '../lib/telemetry/webhooks.js';

const SWEEP_FOR_MS = 45_000;
const SWEEP_EVERY_MS = 1_000;

export const handler = async (): Promise<void> => {
  try {
    await deliverer.run(SWEEP_EVERY_MS, AbortSignal.timeout(SWEEP_FOR_MS));
  } finally {
    flushWebhookMetrics();
  }
};
