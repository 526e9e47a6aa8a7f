/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON that is safe inside a <script> element: no `</script`, `<!--` or `]]>` can appear, and
 * U+2028/U+2029 (line terminators in older JavaScript) are escaped. Parses to the same value.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Script source inlined in a <script> element. Only needed if a library's source ever contains
 * `</script` or `<!--` (chart.js 4.6.1 does not); both rewrites keep strings, regexes and
 * comments meaning the same.
 */
export function scriptSource(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/**
 * Text from a result inside a Markdown table cell or list item: one line, pipes and Markdown
 * punctuation escaped, and HTML markup turned into entities (GitHub renders inline HTML).
 */
export function escapeMarkdown(text: unknown): string {
  return String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#])/g, '\\$1');
}
