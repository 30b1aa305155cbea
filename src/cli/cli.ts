import yargs from 'yargs';
import ipaddr from 'ipaddr.js';
import type { analyze } from '../analysis/analyze.js';
import { analyzeCaptures, type AnalysisThreads } from '../analysis/analysis-thread.js';
import { CaptureOpenError } from '../capture/types.js';
import { renderJson } from '../report/json.js';
import { TOOL_VERSION } from '../version.js';
import { SEVERITY_RANK, type Severity } from '../rules/types.js';
import type { FlowsFormat } from '../report/flows.js';
import type { Analysis } from '../report/types.js';
import { makeProgress } from './progress.js';
import { filterOptions, readFilter } from './filters.js';
import { emit, warnEmptyInputs } from './output.js';
import { COMMANDS, UsageError, orList, usageMessage } from './usage.js';
import { textWidth } from './width.js';

/** Exit 1 when any finding is at or above the --fail-on severity, else 0. */
function failOnExitCode(a: Awaited<ReturnType<typeof analyze>>, failOn: Severity | 'none'): number {
  if (failOn === 'none') return 0;
  const threshold = SEVERITY_RANK[failOn];
  return a.report.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? 1 : 0;
}

type Format = 'text' | 'json' | 'markdown' | 'html';

async function renderReport(format: Format, a: Awaited<ReturnType<typeof analyze>>, output: string | undefined): Promise<string> {
  switch (format) {
    case 'json':
      return renderJson(a);
    case 'markdown': {
      const { renderMarkdown } = await import('../report/markdown.js');
      return renderMarkdown(a);
    }
    case 'html': {
      const { renderHtml } = await import('../report/html.js');
      return renderHtml(a);
    }
    default: {
      // Renderers load on demand: each run pays only for the one it uses (cli-table3 and its
      // string-width are a noticeable share of startup).
      const { renderText } = await import('../report/text.js');
      const toTerminal = (output === undefined || output === '-') && process.stdout.isTTY === true;
      return renderText(a, { width: textWidth(toTerminal, process.stdout.columns) });
    }
  }
}

/** --output: absent or '-' is standard output; given without a value is a mistake. */
function outputPath(value: string | undefined): string | undefined {
  if (value === '') throw new UsageError('--output needs a file name (or - for standard output)');
  return value === STDIN_TOKEN ? '-' : value;
}

/** The analysis of the CLI, with progress on a terminal, cleared before anything else is written. */
async function runAnalysis(paths: string[], options: { connections: boolean; serviceCidrs?: string[] }, threads: AnalysisThreads | null): Promise<Analysis> {
  const progress = makeProgress();
  let a: Analysis;
  try {
    a = await analyzeCaptures(paths, { ...options, onProgress: progress.update }, threads);
  } finally {
    progress.clear();
  }
  warnEmptyInputs(a);
  return a;
}

/** Validated CIDR hints (a bad one is a usage error). */
function cidrList(values: unknown, flag: string): string[] {
  const list = (Array.isArray(values) ? values : values === undefined ? [] : [values]).map(String);
  for (const c of list) {
    try {
      ipaddr.parseCIDR(c);
    } catch {
      throw new UsageError(`${flag}: '${c}' is not a CIDR (like 10.96.0.0/12)`);
    }
  }
  return list;
}

/** yargs drops a bare '-' from array positionals: carry it through under another name. */
const STDIN_TOKEN = '\u0000stdin';
function capturePaths(values: unknown): string[] {
  return (values as string[]).map((v) => (v === STDIN_TOKEN ? '-' : v));
}

const FORMATS = ['text', 'json', 'markdown', 'html'] as const;
const FAIL_ON = ['error', 'warning', 'info', 'none'] as const;

async function main(rawArgv: string[], threads: AnalysisThreads | null): Promise<number> {
  let exitCode = 0;
  const argv = rawArgv.map((a) => (a === '-' ? STDIN_TOKEN : a));
  await yargs(argv)
    .scriptName('rstdiag')
    .locale('en') // usageMessage reads yargs' English messages
    .version(TOOL_VERSION)
    .strict()
    .command(
      'analyze <capture..>',
      'diagnose every TCP reset and failed connection in the captures',
      (y) => filterOptions(y
        .positional('capture', { type: 'string', array: true, demandOption: true, describe: "pcap/pcapng file ('-' for stdin, .gz read transparently)" })
        .option('format', { choices: FORMATS, default: 'text' as const, describe: 'report format (json: the machine contract)' })
        .option('output', { type: 'string', requiresArg: true, describe: 'write the report to FILE (default stdout)' })
        .option('fail-on', { choices: FAIL_ON, default: 'error' as const, describe: 'exit 1 when a finding is at or above this severity' })
        .option('connections', { type: 'boolean', default: false, describe: 'include the connection table (json)' })
        .option('service-cidr', { type: 'string', requiresArg: true, describe: 'hint: the cluster Service CIDR (repeatable)' })
        .option('pod-cidr', { type: 'string', requiresArg: true, describe: 'hint: the cluster pod CIDR (repeatable; accepted for compatibility, not used yet)' }), 'findings'),
      async (args) => {
        const output = outputPath(args.output);
        const serviceCidrs = cidrList(args['service-cidr'], '--service-cidr');
        cidrList(args['pod-cidr'], '--pod-cidr');
        const filter = await readFilter(args);
        const { filterFindings } = await import('../report/filter.js');
        const a = filterFindings(await runAnalysis(capturePaths(args.capture), { connections: args.connections, serviceCidrs }, threads), filter);
        emit(await renderReport(args.format, a, output), output, `the ${args.format} report`);
        exitCode = failOnExitCode(a, args['fail-on']);
      },
    )
    .command(
      'flows <capture..>',
      'one row per TCP connection: Zeek-like state and history, NAT link, findings',
      (y) => filterOptions(y
        .positional('capture', { type: 'string', array: true, demandOption: true, describe: "pcap/pcapng file ('-' for stdin, .gz read transparently)" })
        .option('format', { choices: ['text', 'json', 'csv'] as const, default: 'text' as const, describe: 'table format' })
        .option('output', { type: 'string', requiresArg: true, describe: 'write the table to FILE (default stdout)' }), 'connections'),
      async (args) => {
        const output = outputPath(args.output);
        const filter = await readFilter(args);
        const { filterConnections } = await import('../report/filter.js');
        const a = filterConnections(await runAnalysis(capturePaths(args.capture), { connections: true }, threads), filter);
        const { renderFlows } = await import('../report/flows.js');
        emit(renderFlows(a, args.format as FlowsFormat), output, `the ${args.format} table`);
      },
    )
    .command(
      'explain [rule]',
      "print a rule's documentation page (without a rule: the list of rules)",
      (y) => y.positional('rule', { type: 'string', describe: 'a rule id, e.g. unreversed-dnat' }),
      async (args) => {
        const { explainRule, ruleIndex, unknownRule } = await import('./explain.js');
        if (args.rule === undefined) {
          process.stdout.write(ruleIndex());
          return;
        }
        const page = explainRule(args.rule);
        if (page === null) throw new UsageError(unknownRule(args.rule, ''));
        process.stdout.write(page);
      },
    )
    .command(
      'check <paths..>',
      'regression: compare diagnoses with saved <capture>.expected.json files',
      (y) => y
        .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'directories or captures' })
        .option('update', { type: 'boolean', default: false, describe: 'write the expectations from the current diagnosis' }),
      async (args) => {
        const { runCheck } = await import('./check.js');
        exitCode = await runCheck(args.paths as string[], { update: args.update, out: (s) => process.stdout.write(s) });
      },
    )
    .command(
      'annotate <capture>',
      'the capture as pcapng with a comment on every evidence packet (Wireshark shows the diagnosis)',
      (y) => y
        .positional('capture', { type: 'string', demandOption: true, describe: 'pcap/pcapng file (.gz read transparently)' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, requiresArg: true, describe: 'the pcapng file to write' })
        .option('service-cidr', { type: 'string', requiresArg: true, describe: 'hint: the cluster Service CIDR (repeatable)' }),
      async (args) => {
        const capture = args.capture === STDIN_TOKEN ? '-' : args.capture;
        const output = outputPath(args.output) ?? '';
        const { checkAnnotateArgs, runAnnotate } = await import('./annotate.js');
        checkAnnotateArgs(capture, output);
        const serviceCidrs = cidrList(args['service-cidr'], '--service-cidr');
        await runAnnotate(capture, output, await runAnalysis([capture], { connections: false, serviceCidrs }, threads));
      },
    )
    .command(
      'live',
      'the same analysis on a live interface (needs the optional `cap` module)',
      (y) => y
        .option('interface', { type: 'string', demandOption: true, requiresArg: true, alias: 'i', describe: "interface to capture on ('any' on Linux: all of them)" })
        .option('filter', { type: 'string', requiresArg: true, describe: "BPF capture filter, e.g. 'tcp port 443'" })
        .option('duration', { type: 'string', requiresArg: true, describe: 'stop after e.g. 30s, 5m (default: Ctrl-C)' })
        .option('write', { type: 'string', requiresArg: true, describe: 'also save the packets to FILE.pcap (nanosecond pcap)' })
        .option('format', { choices: FORMATS, default: 'text' as const, describe: 'report format' })
        .option('output', { type: 'string', requiresArg: true, describe: 'write the final report to FILE (default stdout)' })
        .option('fail-on', { choices: FAIL_ON, default: 'error' as const, describe: 'exit 1 when a finding is at or above this severity' })
        .option('connections', { type: 'boolean', default: false, describe: 'include the connection table (json)' }),
      async (args) => {
        const output = outputPath(args.output);
        // Loaded on demand: the live module (and through it the optional `cap`) stays out of every other command.
        const { runLive, parseDuration, LiveError } = await import('../live/live.js');
        const stopper = new AbortController();
        const onSignal = (): void => {
          if (stopper.signal.aborted) process.exit(130); // a second Ctrl-C: give up at once
          stopper.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const a = await runLive({
            iface: args.interface,
            filter: args.filter,
            durationMs: args.duration === undefined ? null : parseDuration(args.duration),
            write: args.write,
            connections: args.connections,
            signal: stopper.signal,
            // Live lines go to stderr whatever the format: stdout (or --output) carries only the report.
            onFinding: (line) => process.stderr.write(`rstdiag: found ${line}\n`),
            onStatus: (line) => process.stderr.write(`rstdiag: ${line}\n`),
          });
          warnEmptyInputs(a);
          emit(await renderReport(args.format, a, output), output, `the ${args.format} report`);
          exitCode = failOnExitCode(a, args['fail-on']);
        } catch (err) {
          if (err instanceof LiveError) throw new UsageError(err.message);
          throw err;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    )
    .demandCommand(1, `name a command: ${orList(COMMANDS)} (rstdiag --help)`)
    .fail((msg: string | null, err: Error | undefined) => {
      // yargs' own validation errors (YError) are usage errors too; anything else is ours.
      if (err && err.name !== 'YError') throw err;
      const text = msg ?? err?.message ?? '';
      throw new UsageError(text.startsWith('name a command') ? text : usageMessage(text, rawArgv));
    })
    .help()
    .parseAsync();
  return exitCode;
}

/**
 * Runs the command line. `threads`: analysis threads started early by the entry point (main.ts)
 * for a large capture, or null; stopped here if no analysis takes them.
 */
export function runCli(argv: string[], threads: AnalysisThreads | null): void {
  // A reader that stops early (`rstdiag analyze f | head`) closes the pipe: stop quietly, as
  // tcpdump and grep do, instead of dying with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`rstdiag: cannot write the report: ${err.message.split('\n')[0]}\n`);
    process.exit(2);
  });

  main(argv, threads).then(
    (code) => {
      threads?.dispose();
      process.exitCode = code;
    },
    (err: unknown) => {
      threads?.dispose();
      if (err instanceof CaptureOpenError || err instanceof UsageError) {
        process.stderr.write(`rstdiag: ${err.message.split('\n')[0]}\n`);
      } else {
        const msg = err instanceof Error ? err.message : String(err);
        process.stderr.write(`rstdiag: internal error: ${msg.split('\n')[0]}\n`);
      }
      process.exitCode = 2;
    },
  );
}
