/** The tokens a sequence has seen, in the form the penalties need: a set and per-token generated counts. */
export class TokenHistory {
  /** Prompt and generated ids (repetition penalty). */
  readonly seen = new Set<number>();
  /** How often each id was generated (presence and frequency penalties ignore the prompt). */
  readonly generatedCounts = new Map<number, number>();

  constructor(promptIds: readonly number[]) {
    for (const id of promptIds) this.seen.add(id);
  }

  addGenerated(id: number): void {
    this.seen.add(id);
    this.generatedCounts.set(id, (this.generatedCounts.get(id) ?? 0) + 1);
  }
}
