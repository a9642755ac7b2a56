import autocannon from 'autocannon';
import { percentile } from './stats.js';

export interface LoadSpec {
  url: string;
  /** The whole Authorization header value. */
  authorization: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  seconds: number;
  /** 200 responses per second: one token each. */
  tokensPerSec: number;
  /** Latency percentiles of the 200 responses only. */
  p50Ms: number;
  p99Ms: number;
  /** Responses by HTTP status, as strings ("200", "401", "503"). */
  statuses: Record<string, number>;
  /** Responses that were not 200. */
  non200: number;
  /** Connection errors and timeouts: requests that got no response at all. */
  errors: number;
}

/**
 * Keeps `connections` requests in flight for `seconds`. Latencies are recorded here from the
 * response event because autocannon's own histogram keeps whole milliseconds, too coarse for a
 * p50 of one or two.
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: spec.url, connections: spec.connections, duration: spec.seconds, headers: { authorization: spec.authorization } },
      (err, result) => {
        if (err) return reject(err);
        const statuses: Record<string, number> = {};
        for (const [status, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = stat.count ?? 0;
        const ok = statuses['200'] ?? 0;
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          seconds: result.duration,
          tokensPerSec: ok / result.duration,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          statuses,
          non200: Object.values(statuses).reduce((a, b) => a + b, 0) - ok,
          errors: result.errors,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
}
