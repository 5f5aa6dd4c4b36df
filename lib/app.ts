// Objects shared by every invocation of a container: created once at module load, never per
// request (the SDK client keeps its connections warm between invocations).
import { createClient } from './dynamo/client.js';
import { DynamoStore } from './dynamo/store.js';
import { PointsService } from './service/service.js';

export const service = new PointsService(new DynamoStore(createClient()));
