import { escapeHtml as h } from './escape';

/**
 * Where every report page and summary records the result schemaVersion(s) of the runs it shows:
 * a `<meta>` of this name in the HTML, a comment in the Markdown.
 */
export const SCHEMA_VERSION_TAG = 'bench-schema-version';

/** `<!-- bench-schema-version: 2 -->`, or '' when no result was read. */
export function schemaVersionComment(versions: readonly number[]): string {
  return versions.length ? `<!-- ${SCHEMA_VERSION_TAG}: ${versions.join(',')} -->` : '';
}

/**
 * The start of a self-contained report page, up to `<body>`: nothing may be loaded from
 * anywhere (the CSP allows inline scripts and styles and data: images only). `schemaVersions`
 * are those of the results the page shows.
 */
export function pageStart(title: string, css: string, schemaVersions: readonly number[]): string {
  const version = schemaVersions.length
    ? `\n<meta name="${SCHEMA_VERSION_TAG}" content="${h(schemaVersions.join(','))}">`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">${version}
<title>${h(title)}</title>
<style>${css}</style>
</head>
<body>`;
}
