// A lean HTTP client (node:http with keep-alive, lighter than fetch on a 2-core machine) and
// the latency and throughput loops over it.
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** The client gave up waiting: the server sent no answer within the client's timeout. */
export class RequestTimeout extends Error {}

export class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 60_000,
  ) {
    this.base = new URL(baseUrl);
  }

  call(method: 'GET' | 'POST', path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers: { ...extraHeaders, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new RequestTimeout(`${method} ${path}: no answer in ${this.timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like call, but anything other than 200 is an error. */
  async ok(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
    const answer = await this.call(method, path, body);
    if (answer.status !== 200) throw new Error(`${method} ${path} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    return answer;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Nearest-rank percentile of already sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]) => percentile([...values].sort((a, b) => a - b), 50);

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  mean: number;
}

export function summarise(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  return { n: samples.length, p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), mean: round(mean) };
}

/** Times one request in milliseconds; it must answer 200. */
export async function timed(run: () => Promise<HttpAnswer>): Promise<number> {
  const start = performance.now();
  const answer = await run();
  const elapsed = performance.now() - start;
  if (answer.status !== 200) throw new Error(`benchmark request answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  return elapsed;
}

export interface Throughput {
  concurrency: number;
  /** How long the uncounted warm-up took (worker threads start one by one). */
  warmupSeconds: number;
  seconds: number;
  requests: number;
  errors: number;
  perSecond: number;
  p50: number;
  p95: number;
}

/** One answer of a load run; status 0 when the request failed without an answer. */
export interface Sample {
  ms: number;
  status: number;
  body: string;
  /** Answered inside the measured window (not during warm-up or the drain after it). */
  measured: boolean;
  timedOut: boolean;
}

export interface LoadRun {
  /** Every answer, warm-up and drain included, in the order they came. */
  samples: Sample[];
  /** How long the uncounted warm-up took. */
  warmupSeconds: number;
  /** Length of the measured window. */
  seconds: number;
}

/**
 * `concurrency` loops, each sending `make(worker, i)` requests back to back for `seconds`
 * (after a warm-up: at least `warmupSeconds`, and until every loop has had 3 answers, at most
 * 60 s). It then stops by itself: each loop sends nothing more and waits for its last answer.
 */
export async function load(concurrency: number, seconds: number, make: (worker: number, i: number) => Promise<HttpAnswer>, warmupSeconds = 1): Promise<LoadRun> {
  const samples: Sample[] = [];
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  const answered = new Array<number>(concurrency).fill(0);
  const loop = async (worker: number) => {
    for (let i = 0; phase !== 'done'; i++) {
      const start = performance.now();
      let timedOut = false;
      const answer = await make(worker, i).catch((error: Error) => {
        timedOut = error instanceof RequestTimeout;
        return { status: 0, body: error.message };
      });
      answered[worker] = i + 1;
      samples.push({ ms: performance.now() - start, status: answer.status, body: answer.body, measured: phase === 'measure', timedOut });
    }
  };
  const loops = Array.from({ length: concurrency }, (_, w) => loop(w));
  const warmStart = performance.now();
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  while (answered.some((n) => n < 3) && performance.now() - warmStart < 60_000) await new Promise((r) => setTimeout(r, 100));
  phase = 'measure';
  const measureStart = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  phase = 'done';
  const measureEnd = performance.now();
  await Promise.all(loops);
  return { samples, warmupSeconds: round((measureStart - warmStart) / 1000, 1), seconds: round((measureEnd - measureStart) / 1000) };
}

/** Requests per second and latency of `load`; answers other than 200 count as errors. */
export async function throughput(concurrency: number, seconds: number, make: (worker: number, i: number) => Promise<HttpAnswer>, warmupSeconds = 1): Promise<Throughput> {
  const run = await load(concurrency, seconds, make, warmupSeconds);
  const measured = run.samples.filter((s) => s.measured);
  const failed = measured.filter((s) => s.status !== 200);
  if (failed.length > 0) console.warn(`    ${failed.length} request(s) failed, first: ${failed[0]!.status} ${failed[0]!.body.slice(0, 200)}`);
  const sorted = measured.filter((s) => s.status === 200).map((s) => s.ms).sort((a, b) => a - b);
  return {
    concurrency,
    warmupSeconds: run.warmupSeconds,
    seconds: run.seconds,
    requests: sorted.length,
    errors: failed.length,
    perSecond: round(sorted.length / run.seconds, 1),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
  };
}
