import ipaddr from 'ipaddr.js';
import type { analyze } from '../analysis/analyze.js';
import { analyzeCaptures, type AnalysisThreads } from '../analysis/analysis-thread.js';
import { CaptureOpenError } from '../capture/types.js';
import { renderJson } from '../report/json.js';
import { SEVERITY_RANK, type Severity } from '../rules/types.js';
import type { FlowsFormat } from '../report/flows.js';
import type { Analysis } from '../report/types.js';
import { makeProgress } from './progress.js';
import { readFilter } from './filters.js';
import { emit, warnEmptyInputs } from './output.js';
import { UsageError } from './usage.js';
import { fastParse } from './fast-parse.js';
import type { FORMATS, ParsedArgs } from './schema.js';
import { textWidth } from './width.js';

/** Exit 1 when any finding is at or above the --fail-on severity, else 0. */
function failOnExitCode(a: Awaited<ReturnType<typeof analyze>>, failOn: Severity | 'none'): number {
  if (failOn === 'none') return 0;
  const threshold = SEVERITY_RANK[failOn];
  return a.report.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? 1 : 0;
}

type Format = (typeof FORMATS)[number];

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
      // Renderers load on demand: each run pays only for the one it uses.
      const { renderText } = await import('../report/text.js');
      const toTerminal = (output === undefined || output === '-') && process.stdout.isTTY === true;
      return renderText(a, { width: textWidth(toTerminal, process.stdout.columns) });
    }
  }
}

/** --output: absent or '-' is standard output; given without a value is a mistake. */
function outputPath(value: string | undefined): string | undefined {
  if (value === '') throw new UsageError('--output needs a file name (or - for standard output)');
  return value;
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

/**
 * The report of analyze and live in --format, written to --output; the exit code --fail-on asks
 * for (the schema gives both options their defaults).
 */
async function writeReport(args: ParsedArgs, a: Analysis, output: string | undefined): Promise<number> {
  const format = text(args, 'format') as Format;
  emit(await renderReport(format, a, output), output, `the ${format} report`);
  return failOnExitCode(a, text(args, 'fail-on') as Severity | 'none');
}

/** Validated CIDR hints (a bad one is a usage error). */
function cidrList(values: string[], flag: string): string[] {
  for (const c of values) {
    try {
      ipaddr.parseCIDR(c);
    } catch {
      throw new UsageError(`${flag}: '${c}' is not a CIDR (like 10.96.0.0/12)`);
    }
  }
  return values;
}

/** Values of a parsed command line, by kind (the schema says which each option is). */
function text(args: ParsedArgs, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' ? v : undefined;
}
function list(args: ParsedArgs, name: string): string[] {
  const v = args[name];
  return typeof v === 'string' ? [v] : Array.isArray(v) ? [...(v as readonly string[])] : [];
}
function flag(args: ParsedArgs, name: string): boolean {
  return args[name] === true;
}

type Handler = (args: ParsedArgs, threads: AnalysisThreads | null) => Promise<number>;

const HANDLERS: Record<string, Handler> = {
  async analyze(args, threads) {
    const output = outputPath(text(args, 'output'));
    const serviceCidrs = cidrList(list(args, 'service-cidr'), '--service-cidr');
    cidrList(list(args, 'pod-cidr'), '--pod-cidr');
    const filter = await readFilter(args);
    const { filterFindings } = await import('../report/filter.js');
    const a = filterFindings(await runAnalysis(list(args, 'capture'), { connections: flag(args, 'connections'), serviceCidrs }, threads), filter);
    return writeReport(args, a, output);
  },
  async flows(args, threads) {
    const output = outputPath(text(args, 'output'));
    const format = text(args, 'format') ?? 'text';
    const filter = await readFilter(args);
    const { filterConnections } = await import('../report/filter.js');
    const a = filterConnections(await runAnalysis(list(args, 'capture'), { connections: true }, threads), filter);
    const { renderFlows } = await import('../report/flows.js');
    emit(renderFlows(a, format as FlowsFormat), output, `the ${format} table`);
    return 0;
  },
  async explain(args) {
    const { explainRule, ruleIndex, unknownRule } = await import('./explain.js');
    const rule = text(args, 'rule');
    if (rule === undefined) {
      process.stdout.write(ruleIndex());
      return 0;
    }
    const page = explainRule(rule);
    if (page === null) throw new UsageError(unknownRule(rule, ''));
    process.stdout.write(page);
    return 0;
  },
  async check(args) {
    const { runCheck } = await import('./check.js');
    return runCheck(list(args, 'paths'), { update: flag(args, 'update'), out: (s) => process.stdout.write(s) });
  },
  async annotate(args, threads) {
    const capture = text(args, 'capture') ?? '';
    const output = outputPath(text(args, 'output')) ?? '';
    const { checkAnnotateArgs, runAnnotate } = await import('./annotate.js');
    checkAnnotateArgs(capture, output);
    const serviceCidrs = cidrList(list(args, 'service-cidr'), '--service-cidr');
    await runAnnotate(capture, output, await runAnalysis([capture], { connections: false, serviceCidrs }, threads));
    return 0;
  },
  async live(args) {
    const output = outputPath(text(args, 'output'));
    const duration = text(args, 'duration');
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
        iface: text(args, 'interface') ?? '',
        filter: text(args, 'filter'),
        durationMs: duration === undefined ? null : parseDuration(duration),
        write: text(args, 'write'),
        connections: flag(args, 'connections'),
        signal: stopper.signal,
        // Live lines go to stderr whatever the format: stdout (or --output) carries only the report.
        onFinding: (line) => process.stderr.write(`rstdiag: found ${line}\n`),
        onStatus: (line) => process.stderr.write(`rstdiag: ${line}\n`),
      });
      warnEmptyInputs(a);
      return await writeReport(args, a, output);
    } catch (err) {
      if (err instanceof LiveError) throw new UsageError(err.message);
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

async function main(argv: string[], threads: AnalysisThreads | null): Promise<number> {
  // An ordinary command line never loads yargs; help, --version and mistakes do.
  let parsed = fastParse(argv);
  if (parsed === null) {
    const { yargsParse } = await import('./yargs-parse.js');
    parsed = await yargsParse(argv);
  }
  if (parsed === null) return 0; // yargs printed help or the version
  const handler = HANDLERS[parsed.command];
  if (handler === undefined) throw new Error(`no handler for command ${parsed.command}`);
  return handler(parsed.args, threads);
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
