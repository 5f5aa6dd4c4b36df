// Webhook metrics (docs/webhooks.md "Operators"): deliveries attempted, delivered and failed, and
// how late the oldest due delivery is (the deliverer is not keeping up, or not running).
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from './telemetry.js';

const NAMES = { attempted: 'WebhookAttempts', delivered: 'WebhookDelivered', failed: 'WebhookFailed' } as const;

export function countWebhook(kind: keyof typeof NAMES): void {
  metrics.addMetric(NAMES[kind], MetricUnit.Count, 1);
}

export function noteOldestDue(ageSeconds: number): void {
  metrics.addMetric('WebhookOldestDueAge', MetricUnit.Seconds, Math.max(0, ageSeconds));
}

/** Writes what was counted (EMF on stdout; nothing when POWERTOOLS_METRICS_DISABLED). */
export function flushWebhookMetrics(): void {
  metrics.publishStoredMetrics();
}
