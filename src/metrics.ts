import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (a registry per app keeps tests independent). */
export class Metrics {
  readonly registry = new Registry();
  readonly tokenRequests = new Counter({
    name: 'portcullis_token_requests_total',
    help: 'Token requests by HTTP method, grant and outcome status',
    labelNames: ['method', 'grant', 'status'] as const,
    registers: [this.registry],
  });
  readonly tokenDuration = new Histogram({
    name: 'portcullis_token_request_duration_seconds',
    help: 'Time to answer a token request',
    labelNames: ['grant'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly passwordChecks = new Counter({
    name: 'portcullis_password_checks_total',
    help: 'Password verifications by result; "cached" and "unusable" (over 72 bytes) skipped bcrypt',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly backendUnavailable = new Counter({
    name: 'portcullis_backend_unavailable_total',
    help: 'Requests answered 503 because a backend could not answer',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });

  readonly auditDropped = new Counter({
    name: 'portcullis_audit_dropped_total',
    help: 'Audit entries dropped because the buffer was full (the store down for long)',
    registers: [this.registry],
  });
  /** Read when scraped; the audit writer is built after the metrics. */
  auditBufferedNow: () => number = () => 0;
  readonly auditBuffered: Gauge = new Gauge({
    name: 'portcullis_audit_buffered',
    help: 'Audit entries waiting in memory to be written',
    registers: [this.registry],
    collect: (): void => {
      this.auditBuffered.set(this.auditBufferedNow());
    },
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
