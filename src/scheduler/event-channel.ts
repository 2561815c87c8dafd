/**
 * A push-to-pull bridge: producers push events as workers report them, one consumer iterates them in order.
 * `onReturn` runs when the consumer stops early (break, throw), so the producer can cancel what is left.
 */
export class EventChannel<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private waiting?: (result: IteratorResult<T>) => void;
  private ended = false;

  constructor(private readonly onReturn: () => void) {}

  push(event: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
    } else {
      this.buffered.push(event);
    }
  }

  end(): void {
    this.ended = true;
    if (this.waiting && this.buffered.length === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    const event = this.buffered.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.ended) this.onReturn();
    this.ended = true;
    this.buffered.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
