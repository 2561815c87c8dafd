/**
 * Server-Sent Events framing (the WHATWG event-stream format, as OpenAI streams use it): feed decoded text
 * as it arrives, get back the `data` of every event a blank line completed.
 */
export class SseParser {
  private pending = '';
  private data: string[] = [];

  push(text: string): string[] {
    this.pending += text;
    const events: string[] = [];
    for (;;) {
      const end = this.pending.search(/\r\n|\r|\n/);
      if (end < 0) break;
      const line = this.pending.slice(0, end);
      // A '\r' at the very end may be the first half of '\r\n': wait for the next chunk to decide.
      if (this.pending[end] === '\r' && end + 1 === this.pending.length) break;
      this.pending = this.pending.slice(end + (this.pending.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (this.data.length > 0) events.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        const value = line.slice(5);
        this.data.push(value.startsWith(' ') ? value.slice(1) : value);
      }
      // Comments (':'), 'event:', 'id:' and 'retry:' lines carry nothing the bench needs.
    }
    return events;
  }
}
