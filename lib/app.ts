// Objects shared by every invocation of a container: created once at module load, never per
// request (the SDK client keeps its connections warm between invocations).
import { DynamoStore, createClient } from './dynamo-store.js';
import { PointsService } from './service.js';

export const service = new PointsService(new DynamoStore(createClient()));
