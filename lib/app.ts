// Objects shared by every invocation of a container: created once at module load, never per
// request (the SDK client keeps its connections warm between invocations).
import { createClient } from './dynamo/client.js';
import { DynamoEventStore } from './dynamo/event-store.js';
import { DynamoStore } from './dynamo/store.js';
import { EventsService } from './service/events.js';
import { PointsService } from './service/service.js';

const client = createClient();
export const service = new PointsService(new DynamoStore(client));
export const events = new EventsService(new DynamoEventStore(client));
