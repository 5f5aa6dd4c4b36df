// One HTTP attempt: POST to the subscription's URL, connecting only to an address that passed the
// target rules (lib/domain/webhooks/targets.ts) after DNS resolution, so a name cannot be re-pointed
// at an internal address between the check and the connection. Redirects are not followed.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { ipLiteral, isPublicAddress, loopbackAllowed, type TargetMode } from '../../domain/webhooks/targets.js';

export interface Answer {
  /** The HTTP status; null when there was no answer in time (or the target was refused). */
  status: number | null;
  error?: string;
}

class RefusedAddress extends Error {}

const allowed = (url: URL, mode: TargetMode, address: string) => isPublicAddress(address) || loopbackAllowed(url, mode);

/** A DNS lookup that refuses any answer holding an address the target rules forbid. */
function checkedLookup(url: URL, mode: TargetMode): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const refused = addresses.find((a) => !allowed(url, mode, a.address));
      if (refused || addresses.length === 0) return callback(new RefusedAddress(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which is not a public address`));
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as LookupFunction;
}

/** The addresses of a host if every one is allowed; a reason otherwise (a subscription's URL in a stage). */
export function checkHost(url: URL, mode: TargetMode): Promise<string | undefined> {
  const literal = ipLiteral(url.hostname);
  if (literal !== undefined) return Promise.resolve(allowed(url, mode, literal) ? undefined : `${literal} is not a public address`);
  return new Promise((resolve) => {
    checkedLookup(url, mode)(url.hostname, { all: true }, (error: NodeJS.ErrnoException | null) =>
      resolve(error ? (error instanceof RefusedAddress ? error.message : `${url.hostname} does not resolve (${error.code ?? error.message})`) : undefined),
    );
  });
}

export function post(target: string, headers: Record<string, string>, body: string, mode: TargetMode, timeoutMs: number): Promise<Answer> {
  const url = new URL(target);
  const literal = ipLiteral(url.hostname);
  if (literal !== undefined && !allowed(url, mode, literal)) return Promise.resolve({ status: null, error: `${literal} is not a public address` });
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'points-webhooks/1' },
      lookup: checkedLookup(url, mode),
      // One connection per attempt: nothing kept open to a partner between attempts.
      agent: false,
    });
    // SPEC: a 2xx within 15 s. The answer's status is what counts; its body is read and dropped.
    const timer = setTimeout(() => {
      request.destroy();
      done({ status: null, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('response', (response) => {
      response.resume();
      response.on('error', () => undefined);
      done({ status: response.statusCode ?? null });
    });
    request.on('error', (error) => done({ status: null, error: error.message }));
    request.end(body);
  });
}
