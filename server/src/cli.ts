/** The command-line entry: the same engine as the language server, for terminals and CI. */
import { UsageError } from './cli/args';
import { runAnalyze } from './cli/analyze';
import { runCompare, runQuantize } from './cli/quantize';
import { OPTIMIZE_USAGE, runOptimize } from './cli/optimize';
import { BENCH_USAGE, runBench } from './cli/bench';
import { runTextView } from './cli/textView';
import { runInit } from './cli/init';
import { runTrend, TREND_USAGE } from './cli/trend';
import { REPORT_USAGE, runReport } from './cli/report';
import { TOOL, VERSION } from './version';
import { describeFailure } from './errors';

const USAGE = `usage: ${TOOL} <command> [options]

commands:
  analyze <files or folders...> [--format text|json|sarif] [--fail-on error|warning|info|budget] [--dims name=value,...]
          [--detail] [--instance ID] [--traffic RPS[,HOURS]]
      run the rules over Python, JS/TS and .onnx files (node_modules, .git and virtual environments are skipped);
      --format sarif writes SARIF 2.1.0 for code scanning; --fail-on exits 1 when a finding is at that severity
      or above (budget: when a model or a model load is over a budget, ONNX090/PY090)
  quantize <model.onnx> --method int8-dynamic|int4-weight|fp16|int8-static [--out FILE] [--calibration DIR]
           [--per-channel] [--block-size 32|64|128] [--goal COSINE] [--inputs DIR] [--format text|json]
           [--new-tokens N] [--prompts FILE]
      convert a model (new file beside it, the original is never touched), then A/B it against the original;
      a decoder with a KV cache is judged on its greedy generations (N steps, default 32, from 4 seeded prompts or
      FILE's JSON list of id lists: token agreement, first divergence, logits cosine) and timed on decode tokens/s
${OPTIMIZE_USAGE}
  compare <a.onnx> <b.onnx> [--inputs DIR] [--format text|json] [--new-tokens N] [--prompts FILE] [--min-token-agreement X]
      run both models on the same inputs: output agreement, latency, size and a verdict (decoders: as quantize)
${BENCH_USAGE}
${TREND_USAGE}
${REPORT_USAGE}
  text-view <model.onnx> [--findings]
      print the model in ONNX text syntax, one node per line (the lines model findings refer to);
      --findings appends each finding as a comment under its line
  init [folder] [--instance ID] [--force]
      write a commented inference-lens.json for the folder: its models' symbolic dims, the instance, and
      budgets 1.5x today's estimates (so analyze --fail-on budget catches a regression)

--debug (any command): print the stack trace of a failure too

exit codes: 0 ran (with or without findings), 1 a benchmark or conversion failed, analyze --fail-on was met or
bench --baseline found a regression, 2 usage error`;

type Command = (argv: string[], out: (s: string) => void, err: (s: string) => void) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  analyze: runAnalyze,
  quantize: runQuantize,
  compare: runCompare,
  optimize: runOptimize,
  bench: runBench,
  'text-view': runTextView,
  init: runInit,
  trend: runTrend,
  report: runReport,
};

/** What each command does, for "<action> of <file> failed: ...". */
const ACTIONS: Record<string, string> = {
  analyze: 'analysis', quantize: 'conversion', compare: 'comparison', optimize: 'optimization', bench: 'benchmark', 'text-view': 'text view', report: 'report',
};

/** The file a command works on, for its error line: the first model named, else the first positional. */
function subjectOf(args: string[]): string | undefined {
  return args.find((a) => /\.onnx$/i.test(a)) ?? args.find((a) => !a.startsWith('-'));
}

export async function main(argv: string[]): Promise<number> {
  const out = (s: string): void => { process.stdout.write(s + '\n'); };
  const err = (s: string): void => { process.stderr.write(s + '\n'); };
  // --debug (anywhere) or INFERENCE_LENS_DEBUG=1: failures print their stack trace too.
  const debug = argv.includes('--debug') || process.env.INFERENCE_LENS_DEBUG === '1';
  const [cmd, ...rest] = argv.filter((a) => a !== '--debug');
  if (cmd === '--version' || cmd === '-v') { out(VERSION); return 0; }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') { out(USAGE); return 0; }
  const run = cmd ? COMMANDS[cmd] : undefined;
  if (run && (rest.includes('--help') || rest.includes('-h'))) { out(USAGE); return 0; }
  if (!run) {
    err(cmd ? `${TOOL}: unknown command '${cmd}'\n${USAGE}` : USAGE);
    return 2;
  }
  try {
    return await run(rest, out, err);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${TOOL} ${cmd}: ${e.message}\n${USAGE}`);
      return 2;
    }
    err(`${TOOL} ${cmd}: ${describeFailure(ACTIONS[cmd] ?? cmd, subjectOf(rest), e, debug)}${debug ? '' : ' (--debug shows details)'}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
