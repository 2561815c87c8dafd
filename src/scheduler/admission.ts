/**
 * Admission control: at most `limit` requests in flight (running + queued). Beyond that the caller is told
 * to come back (429) rather than queued without bound.
 */
export class Admission {
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly limit: number) {}

  get count(): number {
    return this.inFlight;
  }

  /** Takes a slot and returns its (idempotent) release, or undefined when every slot is taken. */
  tryEnter(): (() => void) | undefined {
    if (this.inFlight >= this.limit) return undefined;
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    };
  }

  /** Resolves once nothing is in flight (for draining on SIGTERM). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
