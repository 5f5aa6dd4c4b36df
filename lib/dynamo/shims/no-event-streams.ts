// Bundled in place of @smithy/core/event-streams (scripts/bundle-aliases.cjs). The SDK's HTTP
// protocol imports it only for operations that stream events, and DynamoDB has none; but a
// dynamic import is still bundled, and with it about 20 KB that every cold start compiled (about
// 11 ms of module init here). Reaching this would mean an operation the SDK streams: say so.
const NOT_BUNDLED = 'event streams are not bundled (scripts/bundle-aliases.cjs): DynamoDB has no event-stream operations';

export const eventStreamSerdeProvider = () => {
  throw new Error(NOT_BUNDLED);
};

export class EventStreamSerde {
  constructor() {
    throw new Error(NOT_BUNDLED);
  }
}
