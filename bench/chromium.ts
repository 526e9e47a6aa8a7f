/**
 * Debian's chromium as this project drives it through playwright-core, headless and asking for
 * nothing from the network: the browser tests and the screenshots of `npm run docs:examples`.
 * Never `npx playwright install`: its browser download is not this one.
 */
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
