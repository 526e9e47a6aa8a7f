import { escapeHtml as h } from './escape';

/**
 * The start of a self-contained report page, up to `<body>`: nothing may be loaded from
 * anywhere (the CSP allows inline scripts and styles and data: images only).
 */
export function pageStart(title: string, css: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${h(title)}</title>
<style>${css}</style>
</head>
<body>`;
}
