import { describe, expect, it } from 'vitest';
import { escapeMarkdown, escapeMermaid, escapeTerminal, escapeXml, markdownCode, slug, uniqueSlugs } from './escape.ts';

describe('escapeMarkdown', () => {
  it('neutralises HTML, table pipes, code spans and emphasis', () => {
    expect(escapeMarkdown('<script>|x')).toBe('&lt;script&gt;\\|x');
    expect(escapeMarkdown('a `b` *c* _d_ [e](f) ~g~ & h')).toBe('a \\`b\\` \\*c\\* \\_d\\_ \\[e\\](f) \\~g\\~ &amp; h');
  });
  it('turns line breaks into spaces so text cannot start a heading or a fence', () => {
    expect(escapeMarkdown('a\n# b\r\n```c')).toBe('a \\# b \\`\\`\\`c');
  });
  it('drops control characters', () => {
    expect(escapeMarkdown('a\u001b[31mb')).toBe('a\\[31mb');
  });
});

describe('markdownCode', () => {
  it('replaces backticks and escapes pipes inside the span', () => {
    expect(markdownCode('a`b|c')).toBe("`a'b\\|c`");
    expect(markdownCode('')).toBe('` `');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('escapeMermaid', () => {
  it('keeps a safe set and replaces quotes, angle brackets, pipes and backticks', () => {
    expect(escapeMermaid('RSS: big-small_1 (x@y+z) 50%')).toBe('RSS: big-small_1 (x@y+z) 50%');
    expect(escapeMermaid('<script>|x"`')).toBe('_script__x__');
  });
});

describe('escapeTerminal', () => {
  it('removes ANSI escapes so a trace name cannot recolour or move the cursor', () => {
    expect(escapeTerminal('a\u001b[2Jb\u009bc\nd')).toBe('a[2Jbc d');
  });
});

describe('slug', () => {
  it('makes file-name-safe names that are never empty and never a path', () => {
    expect(slug('Big/Small Interleaving')).toBe('big-small-interleaving');
    expect(slug('../../etc/passwd')).toBe('etc-passwd');
    expect(slug('<<>>')).toBe('trace');
    expect(slug('x'.repeat(80))).toHaveLength(60);
  });
  it('disambiguates equal slugs in order', () => {
    expect(uniqueSlugs(['a b', 'A-B', 'a_b', 'c'])).toEqual(['a-b', 'a-b-2', 'a-b-3', 'c']);
  });
});
