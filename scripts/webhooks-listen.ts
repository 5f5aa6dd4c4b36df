// `npm run webhooks:listen`: like `stripe listen`. Registers a subscription on the local stack
// that sends to a receiver on the loopback, verifies each delivery's signature with the
// `standardwebhooks` package (as a partner would) and prints one line per event. Ctrl-C removes
// the subscription.
//
//   API_URL      the stack (default http://localhost:$PORT, PORT default 8000)
//   LISTEN_PORT  where to receive (default: any free port)
//   TOKEN        a bearer token when the stack runs AUTH_MODE=jwt (points:events or points:admin)
//   arguments    --payer P        only payer P's events
//                --types a,b      only these event types (e.g. points.added,points.spent)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';

const { values } = parseArgs({ options: { payer: { type: 'string' }, types: { type: 'string' } } });
const api = (process.env.API_URL || `http://localhost:${process.env.PORT || 8000}`).replace(/\/$/, '');
const auth: Record<string, string> = process.env.TOKEN ? { authorization: `Bearer ${process.env.TOKEN}` } : {};

let verifier: Webhook | undefined;
const seen = new Set<string>();

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(request.headers[name] ?? '')]));
    let event: Record<string, any>;
    try {
      event = verifier!.verify(body, headers) as Record<string, any>;
    } catch (error) {
      console.log(`${new Date().toISOString()}  REFUSED  ${headers['webhook-id']}: ${(error as Error).message}`);
      response.writeHead(400).end();
      return;
    }
    // At least once: the same webhook-id may come again; a receiver dedupes by it.
    const again = seen.has(headers['webhook-id']!) ? '  (again)' : '';
    seen.add(headers['webhook-id']!);
    console.log(`${new Date().toISOString()}  ${String(event.type).padEnd(16)} user=${event.userId} seq=${event.sequence} payer=${JSON.stringify(event.payer)} points=${event.points}  ${headers['webhook-id']} ✓${again}`);
    response.writeHead(204).end();
  });
});

await new Promise<void>((resolve) => server.listen(Number(process.env.LISTEN_PORT || 0), '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;

const created = await fetch(`${api}/webhooks`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...auth },
  body: JSON.stringify({ url, ...(values.payer !== undefined ? { payer: values.payer } : {}), ...(values.types ? { types: values.types.split(',').map((t) => t.trim()) } : {}) }),
}).catch((error: Error) => {
  console.error(`Cannot reach ${api} (${error.message}); start the stack with npm start.`);
  process.exit(1);
});
const subscription = (await created.json()) as { id: string; secret: string; types: string[]; payer: string | null; detail?: string };
if (created.status !== 201) {
  console.error(`POST ${api}/webhooks answered ${created.status}: ${subscription.detail ?? JSON.stringify(subscription)}`);
  process.exit(1);
}
verifier = new Webhook(subscription.secret);
console.log(`Listening on ${url} as ${subscription.id} (payer ${subscription.payer ?? 'any'}, ${subscription.types.length} event types); signatures checked with standardwebhooks. Ctrl-C to stop.`);

async function stop() {
  const deleted = await fetch(`${api}/webhooks/${subscription.id}`, { method: 'DELETE', headers: auth }).catch(() => undefined);
  console.log(deleted?.status === 204 ? `Removed ${subscription.id}.` : `Could not remove ${subscription.id} (${deleted?.status ?? 'no answer'}); DELETE /webhooks/${subscription.id} removes it.`);
  server.closeAllConnections();
  server.close(() => process.exit(0));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
