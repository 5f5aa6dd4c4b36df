// The scheduled sweep (serverless.yml: EventBridge rate; locally the stream feeder runs it on a
// timer): records every expiry due, for users nobody touches (SPEC: within 1 hour).
import { service } from '../lib/app.js';
import { logger } from '../lib/telemetry/telemetry.js';

export const handler = async (): Promise<{ swept: number; failed: number }> => {
  const result = await service.sweep();
  (result.failed > 0 ? logger.warn : logger.info).call(logger, 'sweep', result);
  return result;
};
