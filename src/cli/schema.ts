/**
 * The command line as data: every command, its positionals and options, declared once. Both
 * parsers are derived from it — the quick one (node:util parseArgs, fast-parse.ts) for ordinary
 * command lines and yargs (yargs-parse.ts) for help, --version and every mistake — so an option is
 * added in one place and the two cannot disagree about it.
 */

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly describe: string;
  readonly choices?: readonly string[];
  readonly default?: string | boolean;
  /** May be given several times (the values are collected into a list). */
  readonly repeatable?: true;
  readonly required?: true;
  readonly alias?: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly describe: string;
  /** One or more values (`<capture..>`); otherwise exactly one. */
  readonly array?: true;
  /** Absent from the command line is allowed (`[rule]`). */
  readonly optional?: true;
}

export interface CommandSpec {
  readonly name: string;
  readonly describe: string;
  readonly positional?: PositionalSpec;
  readonly options: Readonly<Record<string, OptionSpec>>;
}

/** Parsed values by option or positional name, as yargs gives them (dashed names). */
export type ParsedArgs = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

export interface ParsedCommand {
  readonly command: string;
  readonly args: ParsedArgs;
}

export const FORMATS = ['text', 'json', 'markdown', 'html'] as const;
export const FAIL_ON = ['error', 'warning', 'info', 'none'] as const;

const CAPTURES: PositionalSpec = { name: 'capture', array: true, describe: "pcap/pcapng file ('-' for stdin, .gz read transparently)" };
const SERVICE_CIDR: OptionSpec = { type: 'string', repeatable: true, describe: 'hint: the cluster Service CIDR (repeatable)' };
const FAIL_ON_OPTION: OptionSpec = { type: 'string', choices: FAIL_ON, default: 'error', describe: 'exit 1 when a finding is at or above this severity' };
const CONNECTIONS: OptionSpec = { type: 'boolean', default: false, describe: 'include the connection table (json)' };

/** --rule, --host, --port and --top of analyze and flows. */
function filterOptions(what: 'findings' | 'connections'): Record<string, OptionSpec> {
  return {
    rule: { type: 'string', repeatable: true, describe: `only ${what} of these rules (ID[,ID]; repeatable)` },
    host: { type: 'string', repeatable: true, describe: `only ${what} involving this address or CIDR (repeatable)` },
    port: { type: 'string', repeatable: true, describe: `only ${what} with an endpoint on this port (repeatable)` },
    top: {
      type: 'string',
      describe: what === 'findings' ? 'at most N findings: the worst (severity, then connections covered)' : 'at most N connections: those with the most packets',
    },
  };
}

export const COMMAND_SCHEMA: readonly CommandSpec[] = [
  {
    name: 'analyze',
    describe: 'diagnose every TCP reset and failed connection in the captures',
    positional: CAPTURES,
    options: {
      format: { type: 'string', choices: FORMATS, default: 'text', describe: 'report format (json: the machine contract)' },
      output: { type: 'string', describe: 'write the report to FILE (default stdout)' },
      'fail-on': FAIL_ON_OPTION,
      connections: CONNECTIONS,
      'service-cidr': SERVICE_CIDR,
      'pod-cidr': { type: 'string', repeatable: true, describe: 'hint: the cluster pod CIDR (repeatable; accepted for compatibility, not used yet)' },
      ...filterOptions('findings'),
    },
  },
  {
    name: 'flows',
    describe: 'one row per TCP connection: Zeek-like state and history, NAT link, findings',
    positional: CAPTURES,
    options: {
      format: { type: 'string', choices: ['text', 'json', 'csv'], default: 'text', describe: 'table format' },
      output: { type: 'string', describe: 'write the table to FILE (default stdout)' },
      ...filterOptions('connections'),
    },
  },
  {
    name: 'explain',
    describe: "print a rule's documentation page (without a rule: the list of rules)",
    positional: { name: 'rule', optional: true, describe: 'a rule id, e.g. unreversed-dnat' },
    options: {},
  },
  {
    name: 'check',
    describe: 'regression: compare diagnoses with saved <capture>.expected.json files, and joint*.expected.json (several captures analysed together)',
    positional: { name: 'paths', array: true, describe: 'directories, captures or joint expectation files' },
    options: { update: { type: 'boolean', default: false, describe: 'write the expectations from the current diagnosis' } },
  },
  {
    name: 'annotate',
    describe: 'the capture as pcapng with a comment on every evidence packet (Wireshark shows the diagnosis)',
    positional: { name: 'capture', describe: 'pcap/pcapng file (.gz read transparently)' },
    options: {
      output: { type: 'string', alias: 'o', required: true, describe: 'the pcapng file to write' },
      'service-cidr': SERVICE_CIDR,
    },
  },
  {
    name: 'live',
    describe: 'the same analysis on a live interface (needs the optional `cap` module)',
    options: {
      interface: { type: 'string', alias: 'i', required: true, describe: "interface to capture on ('any' on Linux: all of them)" },
      filter: { type: 'string', describe: "BPF capture filter, e.g. 'tcp port 443'" },
      duration: { type: 'string', describe: 'stop after e.g. 30s, 5m (default: Ctrl-C)' },
      write: { type: 'string', describe: 'also save the packets to FILE.pcap (nanosecond pcap)' },
      format: { type: 'string', choices: FORMATS, default: 'text', describe: 'report format' },
      output: { type: 'string', describe: 'write the final report to FILE (default stdout)' },
      'fail-on': FAIL_ON_OPTION,
      connections: CONNECTIONS,
    },
  },
];

/** The positional's usage form, as yargs writes it: `<capture..>`, `[rule]`, `<capture>`. */
export function positionalUsage(p: PositionalSpec): string {
  const inner = `${p.name}${p.array ? '..' : ''}`;
  return p.optional ? `[${inner}]` : `<${inner}>`;
}
