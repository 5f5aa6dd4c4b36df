// Standard Webhooks signing (https://www.standardwebhooks.com): secrets are "whsec_" and base64
// bytes; a signature is "v1," and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>", one per
// valid secret, space separated, so a receiver holding either secret verifies during a rotation.
import { createHmac, randomBytes } from 'node:crypto';
import { SECRET_PREFIX as PREFIX } from './secret.js';
/** SPEC: the previous secret keeps signing beside the new one for 24 hours. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export interface StoredSecret {
  secret: string;
  /** When a rotated-out secret stops signing (epoch ms); absent for the current one. */
  until?: number;
}

export const newSecret = (): string => `${PREFIX}${randomBytes(32).toString('base64')}`;

export function signOne(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The secrets that sign at `now`: the current one first, then those rotated out less than 24 h ago. */
export const signingSecrets = (secrets: readonly StoredSecret[], now: number): string[] =>
  secrets.filter((s) => s.until === undefined || s.until > now).map((s) => s.secret);

/** The webhook-signature header: one `v1,` entry per secret. */
export const signatureHeader = (secrets: readonly string[], id: string, timestamp: number, body: string): string =>
  secrets.map((secret) => signOne(secret, id, timestamp, body)).join(' ');

/** After a rotation: the new secret, and every older one still signing, now ending at most 24 h from now. */
export function rotate(secrets: readonly StoredSecret[], fresh: string, now: number): StoredSecret[] {
  const kept = secrets
    .filter((s) => s.until === undefined || s.until > now)
    .map((s) => ({ secret: s.secret, until: Math.min(s.until ?? Number.POSITIVE_INFINITY, now + ROTATION_OVERLAP_MS) }));
  return [{ secret: fresh }, ...kept];
}
