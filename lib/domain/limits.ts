// Bounds the service enforces in code rather than in a schema, each in one place: the code that
// enforces it imports it from here, and the response schemas state it for /openapi.json.

/** SPEC: 16384 bytes of body is still accepted, one more is not (lib/http/handler.ts). */
export const MAX_BODY_BYTES = 16 * 1024;

/** One account item holds every payer's balance, so DynamoDB's 400 KB item limit caps them. */
export const MAX_PAYER_BYTES = 200_000;
/** What each payer costs in that item besides its name's UTF-8 bytes. */
export const PAYER_OVERHEAD_BYTES = 64;
/** So a user has at most this many payers (one-byte names), and a breakdown as many entries. */
export const MAX_PAYERS_PER_USER = Math.floor(MAX_PAYER_BYTES / (1 + PAYER_OVERHEAD_BYTES));

/**
 * A problem's free text and field errors are clipped to these (in characters): a detail or a
 * field's path may quote client input, such as an unknown key of a 16 KiB body.
 */
export const PROBLEM_LIMITS = { detail: 2048, errors: 100, path: 256, message: 512 } as const;

/** The longest feed cursor GET /events takes: one position (a safe integer) per shard, in base64url, and a checksum take about 750. */
export const MAX_FEED_CURSOR_LENGTH = 2048;
