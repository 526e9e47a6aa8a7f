import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';

/** The result-file contract users read (docs/result.md); tests hold every result to it. */
export const RESULT_SCHEMA = path.resolve(__dirname, '../../../docs/result.schema.json');

let compiled: ValidateFunction | null = null;

function validator(): ValidateFunction {
  // allErrors: a failing test names every broken field at once. Strict catches a misspelt
  // keyword; its type and required checks would make the schema restate `type` in every branch.
  compiled ??= new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false }).compile(
    JSON.parse(fs.readFileSync(RESULT_SCHEMA, 'utf8')) as object,
  );
  return compiled;
}

/**
 * What is wrong with `value` as a result file, one line per problem (ajv's own text, with the
 * field's JSON pointer); empty when it meets the schema.
 */
export function resultSchemaErrors(value: unknown): string[] {
  const validate = validator();
  if (validate(value)) return [];
  return dedupe((validate.errors ?? []).filter(relevant).map(describe));
}

/** Throws, naming `label` and every problem, unless `value` meets the result schema. */
export function assertResultSchema(value: unknown, label = 'result'): void {
  const errors = resultSchemaErrors(value);
  if (errors.length > 0) {
    throw new Error(`${label} does not meet docs/result.schema.json:\n  ${errors.join('\n  ')}`);
  }
}

/** Reads a result file and holds it to the schema. */
export function assertResultFile(file: string): void {
  assertResultSchema(JSON.parse(fs.readFileSync(file, 'utf8')) as unknown, file);
}

// `if` and `anyOf` only say that a branch below failed; the branch's own errors say what.
function relevant(e: ErrorObject): boolean {
  return e.keyword !== 'if' && !(e.keyword === 'anyOf' && e.message === 'must match a schema in anyOf');
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath;
  const extra = e.keyword === 'enum' || e.keyword === 'const' ? ` ${JSON.stringify(e.params)}` : '';
  return `${where} ${e.message ?? e.keyword}${extra}`;
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}
