// A lean HTTP client (node:http with keep-alive, lighter than fetch on a 2-core machine) and
// the latency and throughput loops over it.
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

export class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly base: URL;

  constructor(baseUrl: string) {
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
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
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

/**
 * `concurrency` loops, each sending `make(worker, i)` requests back to back for `seconds`
 * (after a warm-up that is not counted). Answers that arrive inside the window count; those
 * other than 200 count as errors.
 */
export async function throughput(concurrency: number, seconds: number, make: (worker: number, i: number) => Promise<HttpAnswer>, warmupSeconds = 1): Promise<Throughput> {
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let measureStart = 0;
  let measureEnd = 0;
  const answered = new Array<number>(concurrency).fill(0);
  const loop = async (worker: number) => {
    for (let i = 0; phase !== 'done'; i++) {
      const start = performance.now();
      const answer = await make(worker, i).catch((error: Error) => ({ status: 0, body: error.message }));
      answered[worker] = i + 1;
      if (phase !== 'measure') continue; // answers inside the window count
      if (answer.status === 200) samples.push(performance.now() - start);
      else {
        errors++;
        firstError ??= `${answer.status} ${answer.body.slice(0, 200)}`;
      }
    }
  };
  const loops = Array.from({ length: concurrency }, (_, w) => loop(w));
  // Warm: at least `warmupSeconds`, and every loop past its first answers (at most 60 s).
  const warmStart = performance.now();
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  while (answered.some((n) => n < 3) && performance.now() - warmStart < 60_000) await new Promise((r) => setTimeout(r, 100));
  phase = 'measure';
  measureStart = performance.now();
  const warmed = (measureStart - warmStart) / 1000;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  phase = 'done';
  measureEnd = performance.now();
  await Promise.all(loops);
  if (firstError) console.warn(`    ${errors} request(s) failed, first: ${firstError}`);
  const sorted = samples.sort((a, b) => a - b);
  const elapsed = (measureEnd - measureStart) / 1000;
  return {
    concurrency,
    warmupSeconds: round(warmed, 1),
    seconds: round(elapsed),
    requests: samples.length,
    errors,
    perSecond: round(samples.length / elapsed, 1),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
  };
}
