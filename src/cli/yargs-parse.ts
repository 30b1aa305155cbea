/**
 * yargs, built from the command schema: it reads every command line the quick parser declines —
 * help, --version, mistakes (turned into one actionable line by usage.ts) and the forms only it
 * knows (`--no-connections`, `--flag true`, camelCase). Loaded only then.
 */
import type { Argv } from 'yargs';
import { TOOL_VERSION } from '../version.js';
import { importPackage } from './import-package.js';
import { COMMAND_SCHEMA, positionalUsage, type CommandSpec, type ParsedArgs, type ParsedCommand } from './schema.js';
import { COMMANDS, UsageError, orList, usageMessage } from './usage.js';

/** yargs drops a bare '-' from array positionals: carry it through under another name. */
const STDIN_TOKEN = '\u0000stdin';

function withSpec(y: Argv, spec: CommandSpec): Argv {
  let b = y;
  const p = spec.positional;
  if (p !== undefined) b = b.positional(p.name, { type: 'string', describe: p.describe, ...(p.array ? { array: true } : {}), ...(p.optional ? {} : { demandOption: true }) });
  for (const [name, o] of Object.entries(spec.options)) {
    b = b.option(name, {
      // An option with choices is shown by its choices alone, as it always was.
      ...(o.choices !== undefined ? { choices: o.choices } : { type: o.type, ...(o.type === 'string' ? { requiresArg: true } : {}) }),
      describe: o.describe,
      ...(o.default !== undefined ? { default: o.default } : {}),
      ...(o.required ? { demandOption: true } : {}),
      ...(o.alias !== undefined ? { alias: o.alias } : {}),
    });
  }
  return b;
}

/** '-' back from its stand-in, in positionals and option values. */
function restoreStdin(value: unknown): ParsedArgs[string] {
  if (value === STDIN_TOKEN) return '-';
  if (Array.isArray(value)) return value.map((v) => (v === STDIN_TOKEN ? '-' : String(v)));
  return typeof value === 'boolean' ? value : value === undefined ? undefined : String(value);
}

/**
 * The command line read by yargs, or null when yargs answered it itself (help, --version: it
 * prints and exits). A mistake throws a UsageError with one line.
 */
export async function yargsParse(rawArgv: readonly string[]): Promise<ParsedCommand | null> {
  // Imported here, not at the top: in the CommonJS bundle (scripts/postbuild.mjs) a static import
  // of this ES-only package would become require('yargs'), which Node 20 before 20.19 refuses.
  const { default: yargs } = (await importPackage('yargs')) as typeof import('yargs');
  let parsed: ParsedCommand | null = null;
  let y = yargs(rawArgv.map((a) => (a === '-' ? STDIN_TOKEN : a)))
    .scriptName('rstdiag')
    .locale('en') // usageMessage reads yargs' English messages
    .version(TOOL_VERSION)
    .strict();
  for (const spec of COMMAND_SCHEMA) {
    const usage = spec.positional === undefined ? spec.name : `${spec.name} ${positionalUsage(spec.positional)}`;
    y = y.command(usage, spec.describe, (b) => withSpec(b, spec), (argv) => {
      const args: Record<string, ParsedArgs[string]> = {};
      if (spec.positional !== undefined) args[spec.positional.name] = restoreStdin(argv[spec.positional.name]);
      for (const name of Object.keys(spec.options)) args[name] = restoreStdin(argv[name]);
      parsed = { command: spec.name, args };
    });
  }
  await y
    .demandCommand(1, `name a command: ${orList(COMMANDS)} (rstdiag --help)`)
    .fail((msg: string | null, err: Error | undefined) => {
      // yargs' own validation errors (YError) are usage errors too; anything else is ours.
      if (err && err.name !== 'YError') throw err;
      const text = msg ?? err?.message ?? '';
      throw new UsageError(text.startsWith('name a command') ? text : usageMessage(text, rawArgv));
    })
    .help()
    .parseAsync();
  return parsed;
}
