// A fault-injecting HTTP proxy in front of DynamoDB Local (plain node:http). The test process owns
// it and switches its policy at run time; each DynamoDB call (one HTTP request, so each SDK
// attempt) gets one mode. Random choices come from a seeded PRNG, so a failing run can be replayed.
import { Agent, createServer, request as upstreamRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { random as seeded } from '../../scripts/bench/history.js';

export type FaultMode =
  | 'pass' // forwarded untouched
  | 'hang' // never forwarded and never answered (the connection is reset after hangMs, if set)
  | 'reset' // connection reset, nothing forwarded
  | 'throttle' // DynamoDB's 400 ThrottlingException, nothing forwarded
  | 'error500' // DynamoDB's 500 InternalServerError, nothing forwarded
  | 'lost' // forwarded and applied, then the connection is reset instead of answering
  | 'slow'; // forwarded and applied; the answer comes slowMs late

export const FAULTS: readonly FaultMode[] = ['hang', 'reset', 'throttle', 'error500', 'lost', 'slow'];

export interface Call {
  /** DynamoDB operation, e.g. "GetItem", "TransactWriteItems". */
  operation: string;
  write: boolean;
}

/** Decides the mode of each call; `random` is the proxy's seeded PRNG (uniform in [0, 1)). */
export type Policy = (call: Call, random: () => number) => FaultMode;

export type Only = 'reads' | 'writes';

const WRITE_OPERATIONS = new Set(['TransactWriteItems', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

const applies = (call: Call, only?: Only) => only === undefined || (only === 'writes') === call.write;

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** DynamoDB's error answer: the JSON body and header the SDK parses into a typed exception. */
function dynamoError(res: ServerResponse, status: number, type: string, message: string) {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type, 'x-amzn-requestid': `fault-${Date.now()}` });
  res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
}

export interface FaultProxyOptions {
  seed: number;
  /** How long 'hang' holds a request before resetting it; by default until the client gives up. */
  hangMs?: number;
  /** Delay of 'slow' answers. */
  slowMs?: number;
}

export class FaultProxy {
  /** How many calls got each mode since start (or since resetCounts). */
  readonly counts = new Map<FaultMode, number>();
  private policy: Policy = () => 'pass';
  private readonly random: () => number;
  private readonly agent = new Agent({ keepAlive: true });
  hangMs: number | undefined;
  slowMs: number;

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    options: FaultProxyOptions,
  ) {
    this.random = seeded(options.seed);
    this.hangMs = options.hangMs;
    this.slowMs = options.slowMs ?? 1500;
    server.on('request', (req, res) => {
      res.on('error', () => undefined); // the client may have given up
      void this.handle(req, res).catch(() => req.socket.destroy());
    });
  }

  /** Starts a proxy to `target` (e.g. DynamoDB Local's URL) on a free local port. */
  static start(target: string, options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer({ keepAliveTimeout: 60_000 });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(new FaultProxy(server, new URL(target), options)));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  use(policy: Policy): this {
    this.policy = policy;
    return this;
  }

  /** No faults. */
  pass(): this {
    return this.use(() => 'pass');
  }

  /** Every call (every read or every write, with `only`) gets `mode`. */
  always(mode: FaultMode, only?: Only): this {
    return this.use((call) => (applies(call, only) ? mode : 'pass'));
  }

  /** Each call (read or write, with `only`) gets a fault with probability `rate`, picked uniformly from `modes`. */
  randomly(rate: number, modes: readonly FaultMode[] = FAULTS, only?: Only): this {
    return this.use((call, random) => (applies(call, only) && random() < rate ? modes[Math.floor(random() * modes.length)]! : 'pass'));
  }

  /** Calls that got a fault (any mode but 'pass') since start. */
  faults(): number {
    return [...this.counts].reduce((n, [mode, count]) => (mode === 'pass' ? n : n + count), 0);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.agent.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const mode = this.policy({ operation, write: WRITE_OPERATIONS.has(operation) }, this.random);
    this.counts.set(mode, (this.counts.get(mode) ?? 0) + 1);
    switch (mode) {
      case 'pass':
        return this.forward(req, body, res, 0);
      case 'slow':
        return this.forward(req, body, res, this.slowMs);
      case 'hang':
        if (this.hangMs !== undefined) setTimeout(() => req.socket.resetAndDestroy(), this.hangMs).unref();
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'throttle':
        return dynamoError(res, 400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
      case 'error500':
        return dynamoError(res, 500, 'InternalServerError', 'Internal server error');
      case 'lost': {
        await this.exchange(req, body); // applied by DynamoDB Local before the answer is dropped
        req.socket.resetAndDestroy();
        return;
      }
    }
  }

  /** Sends the request to DynamoDB Local and reads its whole answer. */
  private exchange(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const upstream = upstreamRequest(
        { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
        (answer) => {
          readAll(answer).then((data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }), reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  private async forward(req: IncomingMessage, body: Buffer, res: ServerResponse, delayMs: number): Promise<void> {
    const answer = await this.exchange(req, body);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }
}
