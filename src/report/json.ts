import type { Analysis } from './types.js';

/** The machine contract: schemaVersion 1, exactly the fields of report/types.ts. */
export function renderJson(a: Analysis): string {
  return JSON.stringify(a.report, null, 2) + '\n';
}
