// Text from a result file (trace names, labels, ids, meta values, model notes)
// is untrusted: a trace can be recorded from any program and a result file can
// be edited by hand. Every renderer passes such text through one of these before
// it lands in markdown, mermaid, SVG or a terminal.

// C0 controls (except tab) and DEL, and the C1 range: a terminal would obey them
// (ANSI escapes) and markdown/XML have no use for them.
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const LINE_BREAKS = /\r\n|[\r\n\u2028\u2029]/g;

/** One line of plain text: line breaks become spaces, control characters go. */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKS, ' ').replace(/\t/g, ' ').replace(CONTROL_CHARS, '');
}

/**
 * Inline markdown (paragraphs, list items and table cells alike): HTML is
 * neutralised as entities, markdown punctuation is backslash-escaped so a label
 * cannot open emphasis, a link, a code span or a table cell, and line breaks
 * become spaces so it cannot start a heading, a list or a fence.
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~#!]/g, (c) => `\\${c}`);
}

/**
 * A markdown code span for ids, hashes and parameter lists. Backticks cannot be
 * escaped inside a code span, so they are replaced; a pipe still ends a table
 * cell inside a code span in GFM unless escaped.
 */
export function markdownCode(text: string): string {
  const body = oneLine(text).replace(/`/g, "'").replace(/\|/g, '\\|');
  return `\`${body.length > 0 ? body : ' '}\``;
}

/** Text content and attribute values in SVG/XML. */
export function escapeXml(text: string): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * Text inside a quoted mermaid string (chart title, axis title). Mermaid has no
 * escape for `"` in xychart strings and renders text as HTML, so only a safe
 * set of characters is kept and everything else becomes `_`.
 */
export function escapeMermaid(text: string): string {
  return oneLine(text).replace(/[^\p{L}\p{N} .,:;()@+=%/'_-]/gu, '_');
}

/** Plain terminal text: no control characters (no ANSI escapes), one line. */
export function escapeTerminal(text: string): string {
  return oneLine(text);
}

/**
 * A file-name-safe slug: lower-case letters, digits and `-`, at most 60
 * characters, never empty, never a path (no `/`, no `..`).
 */
export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
  return s.length > 0 ? s : 'trace';
}

/** Slugs for a list of names, made unique by a numeric suffix in order of appearance. */
export function uniqueSlugs(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base = slug(name);
    let candidate = base;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}-${n}`;
    used.add(candidate);
    return candidate;
  });
}
