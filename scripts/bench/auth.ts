// Section 6: what token verification costs. Two fresh APIs (in-process, same DynamoDB) start
// together, one with AUTH_MODE=off and one with AUTH_MODE=jwt and a key set made here; balance
// requests alternate between them, one user, so both see the same load, the same data, and a
// process of the same age (the bench's main API has served every section before: warmer).
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { authConfig, createVerifier } from '../../lib/auth/jwt.js';
import type { Running } from '../stack.js';
import { Client, median, round, summarise, timed, type Latency } from './http.js';

export interface AuthRow {
  mode: string;
  balance: Latency;
}

export interface AuthSection {
  requests: number;
  rows: AuthRow[];
  /** jwt p50 minus off p50, per algorithm, in ms (the issue allows at most 1 ms). */
  addedP50: Record<string, number>;
  /** The verifier alone, in this process (no HTTP noise): median µs per token, per algorithm. */
  verifyMicros: Record<string, number>;
}

/** Median time of `runs` verifications of one token by the service's own verifier. */
async function verifyMicros(verify: (token: string) => Promise<unknown>, token: string, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await verify(token);
    samples.push((performance.now() - start) * 1000);
  }
  return round(median(samples), 1);
}

const ISSUER = 'https://bench.invalid/issuer';

export async function authSection(options: {
  runId: string;
  requests: number;
  warmup: number;
  /** Starts an API with these extra environment variables (the bench tracks and stops it). */
  launch: (env: Record<string, string>) => Promise<Running>;
  stop: (running: Running) => Promise<void>;
  log: (line: string) => void;
}): Promise<AuthSection> {
  const pairs = {
    RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  };
  const jwks = { keys: Object.entries(pairs).map(([alg, { publicKey }]) => ({ ...publicKey.export({ format: 'jwk' }), kid: alg, alg, use: 'sig' })) };
  options.log('  starting serverless-offline twice (in-process, AUTH_MODE=off and jwt)');
  const env = { AUTH_MODE: 'jwt', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: 'points', AUTH_JWKS: JSON.stringify(jwks), AUTH_JWKS_URL: '' };
  const offApi = await options.launch({ AUTH_MODE: 'off' });
  const jwtApi = await options.launch(env).catch(async (error: unknown) => {
    await options.stop(offApi);
    throw error;
  });
  const off = new Client(offApi.url);
  const jwt = new Client(jwtApi.url);
  try {
    const user = `bench-${options.runId}-auth`;
    await off.ok('POST', `/users/${user}/add`, { payer: 'DANNON', points: 1000, timestamp: '2024-01-01T00:00:00Z' });
    const sign = (alg: string, key: KeyObject) =>
      new SignJWT({ scope: 'points:read' }).setProtectedHeader({ alg, kid: alg }).setIssuer(ISSUER).setAudience('points').setSubject(user).setExpirationTime('1h').sign(key);
    const tokens = { RS256: await sign('RS256', pairs.RS256.privateKey), ES256: await sign('ES256', pairs.ES256.privateKey) };
    const config = authConfig(env);
    if (config.mode !== 'jwt') throw new Error('the bench configured jwt mode');
    const verify = createVerifier(config);
    const micros: Record<string, number> = {};
    for (const [alg, token] of Object.entries(tokens)) micros[alg] = await verifyMicros(verify, token, options.requests * 5);
    options.log(`  verifier alone: ${Object.entries(micros).map(([alg, us]) => `${alg} ${us} µs`).join(', ')} per token (median)`);
    const calls: [string, () => ReturnType<Client['call']>][] = [
      ['off', () => off.call('GET', `/users/${user}/balance`)],
      ...Object.entries(tokens).map(([alg, token]): [string, () => ReturnType<Client['call']>] => [`jwt ${alg}`, () => jwt.call('GET', `/users/${user}/balance`, undefined, { authorization: `Bearer ${token}` })]),
    ];
    const samples = new Map(calls.map(([mode]) => [mode, [] as number[]]));
    for (let i = 0; i < options.warmup; i++) for (const [, call] of calls) await timed(call);
    for (let i = 0; i < options.requests; i++) {
      // Rotate the order each round, as section 2 does.
      for (let k = 0; k < calls.length; k++) {
        const [mode, call] = calls[(i + k) % calls.length]!;
        samples.get(mode)!.push(await timed(call));
      }
    }
    const rows = calls.map(([mode]) => ({ mode, balance: summarise(samples.get(mode)!) }));
    const offP50 = rows[0]!.balance.p50;
    const addedP50 = Object.fromEntries(rows.slice(1).map((row) => [row.mode.replace('jwt ', ''), round(row.balance.p50 - offP50)]));
    for (const row of rows) options.log(`  balance ${row.mode}: p50 ${row.balance.p50} ms, p95 ${row.balance.p95} ms`);
    return { requests: options.requests, rows, addedP50, verifyMicros: micros };
  } finally {
    off.close();
    jwt.close();
    await options.stop(jwtApi);
    await options.stop(offApi);
  }
}
