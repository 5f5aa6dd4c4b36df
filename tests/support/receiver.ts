// A real webhook receiver for the tests: a node:http server on 127.0.0.1 that verifies every
// request with the `standardwebhooks` package (as a partner would) and answers as told: a status,
// no answer at all ('hang'), or a dropped connection ('drop').
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Behaviour = number | 'hang' | 'drop';

export interface Received {
  id: string;
  timestamp: number;
  signature: string;
  contentType: string | undefined;
  body: string;
  event: any;
  /** Whether the signature verified with one of the receiver's secrets. */
  verified: boolean;
  at: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Verified and answered 2xx: what counts as delivered. */
  delivered(): Received[];
  secrets: string[];
  close(): Promise<void>;
}

/** `behave(n, id)`: how to answer the n-th request (0-based) overall, given its webhook-id. */
export async function startReceiver(behave: (n: number, id: string) => Behaviour = () => 204, port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const answered = new Set<Received>();
  const hanging = new Set<IncomingMessage>();
  const secrets: string[] = [];
  let n = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { 'webhook-id': String(request.headers['webhook-id']), 'webhook-timestamp': String(request.headers['webhook-timestamp']), 'webhook-signature': String(request.headers['webhook-signature']) };
      const verified = secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      let event: unknown;
      try {
        event = JSON.parse(body);
      } catch {
        event = undefined;
      }
      const entry: Received = { id: headers['webhook-id'], timestamp: Number(headers['webhook-timestamp']), signature: headers['webhook-signature'], contentType: request.headers['content-type'], body, event, verified, at: Date.now() };
      received.push(entry);
      const behaviour = behave(n++, entry.id);
      if (behaviour === 'hang') return void hanging.add(request);
      if (behaviour === 'drop') return void request.socket.destroy();
      if (behaviour >= 200 && behaviour < 300) answered.add(entry);
      response.writeHead(behaviour).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}/hook`,
    port: actualPort,
    received,
    delivered: () => received.filter((r) => answered.has(r) && r.verified),
    secrets,
    close: () =>
      new Promise((resolve) => {
        for (const request of hanging) request.socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `check` holds (or throws after `timeoutMs`). */
export async function eventually<T>(check: () => T | false | undefined | null | Promise<T | false | undefined | null>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
