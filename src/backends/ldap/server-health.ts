/** How often a server marked down is probed in the background. */
export const PROBE_EVERY_MS = 2_000;

/**
 * Which directory servers are answering. A server whose connection failed or timed out is
 * skipped by logins until a background probe finds it answering again, so a hung first URL
 * costs one timeout, not one per login.
 */
export class ServerHealth {
  readonly #down = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(
    private readonly probe: (url: string) => Promise<boolean>,
    private readonly probeEveryMs = PROBE_EVERY_MS,
  ) {}

  /**
   * The order to try the URLs in: those answering first, in configured order, then those marked
   * down, so that when every server failed a login still finds the first one back up.
   */
  order(urls: readonly string[]): string[] {
    return [...urls.filter((u) => !this.#down.has(u)), ...urls.filter((u) => this.#down.has(u))];
  }

  isDown(url: string): boolean {
    return this.#down.has(url);
  }

  /** Marks the server down and probes it until it answers. */
  failed(url: string): void {
    if (this.#closed || this.#down.has(url)) return;
    let probing = false;
    const timer = setInterval(() => {
      // A hung server keeps a probe waiting for its whole timeout: never stack them.
      if (probing) return;
      probing = true;
      this.probe(url)
        .then(
          (ok) => {
            if (ok) this.#up(url);
          },
          () => undefined,
        )
        .finally(() => {
          probing = false;
        });
    }, this.probeEveryMs);
    timer.unref();
    this.#down.set(url, timer);
  }

  close(): void {
    this.#closed = true;
    for (const url of [...this.#down.keys()]) this.#up(url);
  }

  #up(url: string): void {
    clearInterval(this.#down.get(url));
    this.#down.delete(url);
  }
}
