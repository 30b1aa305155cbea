#!/usr/bin/env node
/**
 * The exhaustive metamorphic sweep (issue 14): every sample under samples/ × every variant family
 * of test/metamorphic/ with every position (each single packet dropped, a `-i any` copy added after
 * each packet, each copy removed), judged by test/metamorphic/invariant.ts. Prints the matrix
 * sample × variant → outcome counts as a Markdown table, then every cell that breaks the
 * invariant (silent, different-error) with what was found.
 *
 *   npm run sweep              # the table and the failing cells on stdout
 *   npm run sweep -- --all     # also one line per passing variant
 *
 * The TypeScript sources run through vite's module runner (vite comes with vitest): no build step.
 * Exit code 0 whatever the outcomes: it is a report, the test suite is the gate.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, createServerModuleRunner } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
/** test/helpers/samples.ts uses CommonJS's __dirname, which vitest provides and vite's runner does not. */
const dirnamePlugin = {
  name: 'sweep-dirname',
  transform(code, id) {
    return code.includes('__dirname') ? code.replaceAll('__dirname', JSON.stringify(dirname(id))) : null;
  },
};
const server = await createServer({
  root, configFile: false, logLevel: 'error', plugins: [dirnamePlugin],
  server: { middlewareMode: true, hmr: false, ws: false },
});
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
try {
  const { loadSamples, variantCases, runCase, markdownMatrix, keepsMessages, messagesOf } = await runner.import('/test/metamorphic/matrix.ts');
  const { passes } = await runner.import('/test/metamorphic/invariant.ts');
  const started = Date.now();
  const cells = [];
  const reworded = [];
  for (const sample of await loadSamples()) {
    const before = messagesOf(sample.original).join(', ');
    for (const c of variantCases(sample, true)) {
      const cell = runCase(sample, c);
      cells.push(cell);
      if (keepsMessages(c) && cell.messages.join(', ') !== before) reworded.push({ ...cell, before });
    }
  }
  process.stdout.write(`${markdownMatrix(cells)}\n`);
  const shown = process.argv.includes('--all') ? cells : cells.filter((c) => !passes(c.outcome));
  if (shown.length > 0) {
    process.stdout.write(`| sample | variant | outcome | found |\n|---|---|---|---|\n`);
    for (const c of shown) process.stdout.write(`| ${c.sample} | ${c.label} | ${c.outcome} | ${c.detail} |\n`);
  }
  if (reworded.length > 0) {
    process.stdout.write(`\nVariants that changed what the report says (rule:messageId):\n\n| sample | variant | original | variant |\n|---|---|---|---|\n`);
    for (const c of reworded) process.stdout.write(`| ${c.sample} | ${c.label} | ${c.before} | ${c.messages.join(', ')} |\n`);
  }
  process.stdout.write(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
} finally {
  await runner.close();
  await server.close();
}
