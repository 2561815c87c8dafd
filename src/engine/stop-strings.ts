/**
 * Watches a sequence's text for stop strings. Text is released only when no stop string can still begin in it,
 * so a streamed token never shows part of a stop string that matches later; the released text, joined, is the
 * final text cut before the first stop string.
 */
export class StopStringMatcher {
  private readonly stops: readonly string[];
  private text = '';
  private released = 0;
  private stopped = false;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Adds newly decoded text; returns the text now safe to release and whether a stop string matched. */
  push(delta: string): { text: string; stopped: boolean } {
    if (this.stopped) return { text: '', stopped: true };
    this.text += delta;
    // A match cannot start in released text: that text never ended in a stop string's prefix.
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.text.indexOf(stop, this.released);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.stopped = true;
      return { text: this.release(cut), stopped: true };
    }
    return { text: this.release(this.text.length - this.heldBackLength()), stopped: false };
  }

  /** Releases what was held back because it might have begun a stop string (the sequence ended otherwise). */
  finish(): string {
    return this.stopped ? '' : this.release(this.text.length);
  }

  /** Everything released so far: the sequence's text. */
  get releasedText(): string {
    return this.text.slice(0, this.released);
  }

  /** The longest unreleased suffix that is a proper prefix of some stop string. */
  private heldBackLength(): number {
    const pending = this.text.length - this.released;
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, pending); length > longest; length--) {
        if (this.text.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }

  private release(end: number): string {
    const text = this.text.slice(this.released, end);
    this.released = Math.max(this.released, end);
    return text;
  }
}
