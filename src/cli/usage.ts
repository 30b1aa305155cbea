/**
 * Usage errors: one line on stderr that says what to do, exit 2. yargs' own messages (pinned to
 * English in yargs-parse.ts) are rewritten to name the option and what it accepts.
 */

import { COMMAND_SCHEMA } from './schema.js';

/** Raised for a bad command line: one line on stderr, exit 2. */
export class UsageError extends Error {}

/** The command names, in the schema's order. */
export const COMMANDS: readonly string[] = COMMAND_SCHEMA.map((c) => c.name);

/** "a, b or c" */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** yargs' stringified values ('"text", "json"') as plain words. */
function words(list: string): string[] {
  return list.split(/,\s*/).map((v) => v.trim().replace(/^"(.*)"$/, '$1'));
}

const NEEDS: Record<string, string> = {
  analyze: "analyze needs a capture file (pcap or pcapng; '-' reads standard input): rstdiag analyze CAPTURE",
  flows: "flows needs a capture file (pcap or pcapng; '-' reads standard input): rstdiag flows CAPTURE",
  check: 'check needs directories or captures with <capture>.expected.json beside them: rstdiag check samples/',
  annotate: 'annotate needs a capture file: rstdiag annotate CAPTURE -o OUT.pcapng',
  explain: 'explain needs a rule id: rstdiag explain lists them',
};

/** One actionable line for a yargs failure message; `argv` is the command line as given. */
export function usageMessage(msg: string, argv: readonly string[]): string {
  const command = argv[0] ?? '';
  const help = COMMANDS.includes(command) ? `rstdiag ${command} --help` : 'rstdiag --help';
  const invalid = [...msg.matchAll(/Argument: (\S+), Given: (.*), Choices: (.*)/g)];
  if (invalid.length > 0) {
    return invalid.map(([, key, given, choices]) => `--${key} must be one of ${words(choices!).join(', ')} (got ${words(given!).join(', ')})`).join('; ');
  }
  const unknown = /^Unknown arguments?: (.*)$/.exec(msg);
  if (unknown) {
    const names = words(unknown[1]!);
    const first = names[0]!;
    if (!COMMANDS.includes(command)) return `unknown command '${command}': use ${orList(COMMANDS)} (rstdiag --help)`;
    const asOption = argv.find((a) => a === `--${first}` || a.startsWith(`--${first}=`) || a === `-${first}`);
    if (asOption !== undefined) return `unknown option ${asOption.split('=')[0]} for ${command} (${help} lists the options)`;
    return `unexpected argument '${first}' for ${command} (${help})`;
  }
  const missing = /^Missing required arguments?: (.*)$/.exec(msg);
  if (missing) return `${command} needs ${words(missing[1]!).map((k) => `--${k}`).join(' and ')} (${help})`;
  const following = /^Not enough arguments following: (.*)$/.exec(msg);
  if (following) return `--${following[1]} needs a value (${help})`;
  if (/^Not enough non-option arguments/.test(msg)) return NEEDS[command] ?? `${msg} (${help})`;
  return `${msg.split('\n')[0]} (${help})`;
}
