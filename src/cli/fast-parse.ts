/**
 * The quick parser: an ordinary, valid command line is read with node:util's parseArgs, against
 * the same schema as yargs, without loading yargs (a good third of a small capture's run time).
 * Anything it is not sure of — help, --version, a mistake, a negated or repeated flag, `--` —
 * it declines (null), and yargs reads the line as it always has, with its messages.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { COMMAND_SCHEMA, type CommandSpec, type ParsedArgs, type ParsedCommand } from './schema.js';

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

function parseOptions(spec: CommandSpec): ParseOptions {
  const options: ParseOptions = {};
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.repeatable ? { multiple: true } : {}), ...(o.alias !== undefined ? { short: o.alias } : {}) };
  }
  return options;
}

/** The command line as yargs would read it, or null when yargs must read it. */
export function fastParse(argv: readonly string[]): ParsedCommand | null {
  const spec = COMMAND_SCHEMA.find((c) => c.name === argv[0]);
  if (spec === undefined) return null;
  let parsed: ReturnType<typeof parseArgs<{ options: ParseOptions; strict: true; allowPositionals: true; tokens: true }>>;
  try {
    parsed = parseArgs({ args: argv.slice(1), options: parseOptions(spec), strict: true, allowPositionals: true, tokens: true });
  } catch {
    return null; // unknown option, missing value…: yargs words the message
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind === 'option-terminator') return null;
    if (t.kind !== 'option') continue;
    // Given twice without being repeatable: yargs makes a list of it and then complains.
    if (seen.has(t.name) && spec.options[t.name]?.repeatable !== true) return null;
    seen.add(t.name);
  }
  const positionals = parsed.positionals;
  // yargs lets a boolean flag take a following 'true'/'false' as its value.
  if (positionals.some((p) => p === 'true' || p === 'false')) return null;

  const args: Record<string, ParsedArgs[string]> = {};
  const p = spec.positional;
  if (p === undefined) {
    if (positionals.length > 0) return null;
  } else if (p.array) {
    if (positionals.length === 0) return null;
    args[p.name] = positionals;
  } else {
    if (positionals.length > 1 || (positionals.length === 0 && p.optional !== true)) return null;
    args[p.name] = positionals[0];
  }
  for (const [name, o] of Object.entries(spec.options)) {
    const value = parsed.values[name] ?? o.default;
    if (value === undefined) {
      if (o.required) return null;
      continue;
    }
    if (o.choices !== undefined && !o.choices.includes(String(value))) return null;
    // yargs gives a repeatable option given once as a plain value, several times as a list.
    args[name] = Array.isArray(value) ? (value.length === 1 ? String(value[0]) : value.map(String)) : value;
  }
  return { command: spec.name, args };
}
