/**
 * The shape every rule takes (after Ruff): an id that never changes meaning, docs beside the
 * code, and a pure check from an analysed file to findings. Positions are LSP's: 0-based lines,
 * UTF-16 characters.
 */
import type { Tree } from 'web-tree-sitter';
import type { CodeLanguage } from '../code/treeSitter';
import type { PythonModule } from '../code/python/semantics';
import type { ScriptModule } from '../code/script/semantics';
import type { ModelInfo } from '../onnx/model';
import type { ViewTarget } from '../onnx/textView';
import type { Config } from '../config';
import type { ModelResolver } from '../cost/figures';
import type { Performance } from '../cost/model';
import type { ModelCost } from '../onnx/cost';
import type { ShapeInference } from '../onnx/shapes';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }
export interface TextEdit { range: Range; newText: string }

export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface Finding {
  rule: string;
  message: string;
  range: Range;
  /** Set by the engine from the rule's default and the user's configuration. */
  severity?: Severity;
  fixes?: Fix[];
  /**
   * Model rules: what the finding is about (a node, a tensor, the graph). The engine maps it to
   * that line of the model's text view and sets `range` there; code rules leave it unset.
   */
  target?: ViewTarget;
}

export interface RuleDocs {
  /** One line: what the rule flags. */
  summary: string;
  whatItDoes: string;
  whyItCosts: string;
  example: string;
  useInstead: string;
  /** What Inference Lens's own fix does, when the rule has one (rendered as "Fix it here"). */
  fix?: string;
}

interface RuleBase {
  id: string;
  /** kebab-case name, stable like the id */
  name: string;
  defaultSeverity: Severity;
  docs: RuleDocs;
}

export interface PythonContext {
  text: string;
  tree: Tree;
  module: PythonModule;
  config: Config;
  /** Resolves an `.onnx` path literal to that model (given by the server/CLI; absent in pure tests, then model-linked rules stay silent). */
  models?: ModelResolver;
}

export interface PythonRule extends RuleBase {
  target: 'python';
  /** reads model files through `ctx.models` (its findings are re-checked when a model changes) */
  readsModels?: boolean;
  check(ctx: PythonContext): Finding[];
}

export interface ScriptContext {
  text: string;
  tree: Tree;
  language: Exclude<CodeLanguage, 'python'>;
  module: ScriptModule;
  config: Config;
}

export interface ScriptRule extends RuleBase {
  target: 'script';
  check(ctx: ScriptContext): Finding[];
}

export interface ModelContext {
  model: ModelInfo;
  config: Config;
  /** The latest benchmark of this model, when one exists (budget rules prefer it to the estimate). */
  measured?: Performance;
  /** Shapes and per-node cost at the configured dims, when the engine could compute them. */
  cost?: ModelCost;
  /** Every value's inferred type and shape at the configured dims (what the file declares, and what it does not). */
  shapes?: ShapeInference;
  /** A first-step decoder_model.onnx: the file beside it that runs the later steps with the cache (onnx/encoderDecoder.ts). */
  cachedSibling?: string;
}

export interface ModelRule extends RuleBase {
  target: 'model';
  check(ctx: ModelContext): Finding[];
}

export type Rule = PythonRule | ScriptRule | ModelRule;

export function docsUrl(id: string): string {
  return `https://github.com/inference-lens/inference-lens/blob/main/docs/rules/${id}.md`;
}
