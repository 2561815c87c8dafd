/**
 * Named sections of BENCHMARKS.md that one script owns and others keep: each sits between
 * `<!-- section:NAME -->` and `<!-- /section:NAME -->`, so the default benchmark can rewrite the file while
 * the int4 quality figures and the large-model runs (each from its own, slower script) stay.
 */

const open = (name: string) => `<!-- section:${name} -->`;
const close = (name: string) => `<!-- /section:${name} -->`;
const SECTION = /<!-- section:([\w.-]+) -->[\s\S]*?<!-- \/section:\1 -->/g;

/** `markdown` with section `name` set to `body` (replaced where it is, else appended). */
export function withSection(markdown: string, name: string, body: string): string {
  const block = `${open(name)}\n${body.trim()}\n${close(name)}`;
  const start = markdown.indexOf(open(name));
  const end = markdown.indexOf(close(name));
  if (start >= 0 && end > start)
    return markdown.slice(0, start) + block + markdown.slice(end + close(name).length);
  return `${markdown.trimEnd()}\n\n${block}\n`;
}

/** Every named section of `markdown`, whole, in order. */
export function sectionsOf(markdown: string): string[] {
  return Array.from(markdown.matchAll(SECTION), (match) => match[0]);
}

/** A fresh rendering with the named sections of the previous file kept at its end. */
export function keepSections(rendered: string, previous: string): string {
  const kept = sectionsOf(previous);
  return kept.length === 0 ? rendered : `${rendered.trimEnd()}\n\n${kept.join('\n\n')}\n`;
}
