import type { GateReport } from './gate';
import type { Formatter } from './format';
import { formatGateJUnit } from './junit';
import { formatGateMarkdown } from './markdown';
import { formatGateText } from './text';

/** `bench gate`'s outputs: the table on stderr, `--markdown` for a PR comment, `--junit` for CI. */
export const GATE_FORMATS = {
  text: formatGateText,
  markdown: formatGateMarkdown,
  junit: formatGateJUnit,
} satisfies Record<string, Formatter<GateReport>>;
