import type { GateReport } from '../analysis/gate';
import type { Formatter } from './format';
import { formatGateJUnit } from './gate-junit';
import { formatGateMarkdown } from './gate-markdown';
import { formatGateText } from './gate-text';

/** `bench gate`'s outputs: the table on stderr, `--markdown` for a PR comment, `--junit` for CI. */
export const GATE_FORMATS = {
  text: formatGateText,
  markdown: formatGateMarkdown,
  junit: formatGateJUnit,
} satisfies Record<string, Formatter<GateReport>>;
