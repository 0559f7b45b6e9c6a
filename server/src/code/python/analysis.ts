/**
 * Analysis of a Python document, unit by unit (top-level statements), kept from one version of the
 * document to the next. An edit re-analyses the units whose text changed; the others keep their
 * findings (moved with the lines) as long as the module context they read comes out unchanged.
 * Anything else (imports, classes, handler registrations or model bindings changed; a new
 * configuration) falls back to analysing every unit: the result is the same either way, only the
 * work differs, and a test checks exactly that over random edits.
 */
import type { Tree } from 'web-tree-sitter';
import type { Finding, Position } from '../../rules/types';
import type { ModelResolver, ResolvedModel } from '../../cost/figures';
import { moduleView, PythonModule, scanNodes } from './semantics';
import {
  contributionDigest, declsDigest, exportsDigest, ExternalFacts, externalDigest, mergeDecls, mergeExports, mergeOutlines, ModuleContext, NO_EXTERNAL, outlineDigest,
  Unit, UnitAlias, UnitDecls, UnitExports, UnitOutline,
} from './context';
import { declsOf, importPlace, outlineOf, unitsOf } from './units';
import { adoptGlobals, modelFacts } from './models';

/** Runs the rules on one unit: `models` only for the rules that read model files. */
export interface UnitRules {
  /** rules whose findings depend on the code alone */
  code(mod: PythonModule, text: string): Finding[];
  /** rules that also read model files through the resolver */
  models(mod: PythonModule, text: string, models: ModelResolver): Finding[];
}

interface UnitState {
  unit: Unit;
  outline: UnitOutline;
  decls: UnitDecls;
  exports: UnitExports;
  findings: Finding[];
  modelFindings: Finding[];
  /** what the model rules asked the resolver, and what it answered */
  asked: [string, ResolvedModel | undefined][];
}

interface State {
  /** `module`, or `ERROR` when recovery wrapped the whole file: the units' parent, which rules look at */
  rootType: string;
  units: UnitState[];
  /** the merged context the findings were computed with */
  context: ModuleContext;
  rules: UnitRules;
}

export interface AnalysisStats {
  /** units whose rules ran in the last analysis, of all units */
  analysed: number;
  units: number;
  full: boolean;
}

/** Re-analysing more than this share of the units costs about as much as starting over. */
const MAX_CHANGED_SHARE = 0.25;

export class PythonAnalysis {
  private state?: State;
  lastStats: AnalysisStats = { analysed: 0, units: 0, full: true };
  /** the last analysis kept the module context as it was (every changed unit contributed what it did): the file's summary is unchanged too */
  contextKept = false;

  /** Findings (positions in `text`) of every unit; incremental when the previous call saw an earlier version. */
  analyze(text: string, tree: Tree, rules: UnitRules, models?: ModelResolver, external: ExternalFacts = NO_EXTERNAL): Finding[] {
    const units = unitsOf(tree, text);
    const prev = this.state;
    // What the workspace tells this file changed: every unit may read it.
    const sameWorld = prev && externalDigest(prev.context.external) === externalDigest(external);
    const next = prev && sameWorld && prev.rules === rules && prev.rootType === tree.rootNode.type ? this.incremental(prev, text, tree, units, rules, models) : undefined;
    this.state = next ?? this.full(text, tree, units, rules, models, external);
    // A finding on a module-level constant can come from several units that use it: report it once.
    const seen = new Set<string>();
    const out: Finding[] = [];
    for (const u of this.state.units) {
      for (const f of u.findings) out.push(f);
      for (const f of u.modelFindings) {
        const k = `${f.rule}:${f.range.start.line}:${f.range.start.character}:${f.range.end.line}:${f.range.end.character}`;
        if (!seen.has(k)) { seen.add(k); out.push(f); }
      }
    }
    return out;
  }

  /** The merged module context of the last analysis (what the workspace summary of this file is made of). */
  get context(): ModuleContext | undefined {
    return this.state?.context;
  }

  private full(text: string, tree: Tree, units: Unit[], rules: UnitRules, models: ModelResolver | undefined, external: ExternalFacts): State {
    const nodes = scanNodes(tree, tree.rootNode, units.map((u) => u.startIndex), units.map((u) => u.startIndex + u.text.length));
    const place = importPlace(units);
    const bare = mergeOutlines([], place.anchor, place.line);
    const outlines = units.map((u, i) => outlineOf(moduleView(tree, u, nodes[i], bare)));
    const ctx = mergeOutlines(outlines, place.anchor, place.line, external);
    const views = units.map((u, i) => moduleView(tree, u, nodes[i], ctx));
    const decls = views.map(declsOf);
    mergeDecls(ctx, decls);
    const exports = views.map((v) => modelFacts(v).exports);
    mergeExports(ctx, exports);
    const states = views.map((v, i): UnitState => {
      adoptGlobals(v);
      const s: UnitState = { unit: units[i], outline: outlines[i], decls: decls[i], exports: exports[i], findings: rules.code(v, text), modelFindings: [], asked: [] };
      runModelRules(s, v, text, rules, models);
      return s;
    });
    this.lastStats = { analysed: units.length, units: units.length, full: true };
    this.contextKept = false;
    return { rootType: tree.rootNode.type, units: states, context: ctx, rules };
  }

  /** The state after an edit, or undefined when the edit reaches beyond its units (then `full` runs). */
  private incremental(prev: State, text: string, tree: Tree, units: Unit[], rules: UnitRules, models?: ModelResolver): State | undefined {
    const old = prev.units;
    let head = 0;
    while (head < units.length && head < old.length && same(units[head], old[head].unit)) head++;
    let tail = 0;
    while (tail < units.length - head && tail < old.length - head && same(units[units.length - 1 - tail], old[old.length - 1 - tail].unit)) tail++;
    const changed = units.length - head - tail;
    if (changed > Math.max(2, units.length * MAX_CHANGED_SHARE)) return undefined;
    const oldIndex = (i: number): number => (i < head ? i : i >= units.length - tail ? i - units.length + old.length : -1);
    const oldOf = (i: number): UnitState | undefined => old[oldIndex(i)];
    const place = importPlace(units);

    // The changed units, read against the previous context first: when each still contributes what
    // its predecessor did (the common case: an edit inside a function), that context stands as it was.
    const views = new Map<number, PythonModule>();
    const fresh = new Map<number, { outline: UnitOutline; decls: UnitDecls; exports: UnitExports }>();
    let ctx: ModuleContext = { ...prev.context, importLine: place.line, importAnchor: place.anchor };
    const sameShape = changed === old.length - head - tail && place.anchor === prev.context.importAnchor;
    for (let i = head; i < units.length - tail; i++) {
      const [nodes] = scanNodes(tree, units[i].node, [units[i].startIndex]);
      const view = moduleView(tree, units[i], nodes, ctx);
      views.set(i, view);
      fresh.set(i, { outline: outlineOf(view), decls: sameShape ? declsOf(view) : EMPTY_DECLS, exports: sameShape ? modelFacts(view).exports : EMPTY_EXPORTS });
    }
    const unchanged = sameShape && [...fresh].every(([i, f]) => {
      const was = old[i];
      return contributionDigest(f.outline, f.decls, f.exports) === contributionDigest(was.outline, was.decls, was.exports);
    });
    const outlines = units.map((_, i) => oldOf(i)?.outline ?? fresh.get(i)!.outline);
    let decls: UnitDecls[], exports: UnitExports[];
    if (unchanged) {
      decls = units.map((_, i) => oldOf(i)?.decls ?? fresh.get(i)!.decls);
      exports = units.map((_, i) => oldOf(i)?.exports ?? fresh.get(i)!.exports);
    } else {
      // Merge again; the context must come out the same for the other units' findings to stand.
      ctx = mergeOutlines(outlines, place.anchor, place.line, prev.context.external);
      if (outlineDigest(ctx) !== outlineDigest(prev.context)) return undefined;
      const alias = (count: number): UnitAlias => (i) => (i < head ? `h${i}` : i >= count - tail ? `t${count - 1 - i}` : `m${i - head}`);
      const newAlias = alias(units.length), oldAlias = alias(old.length);
      for (const [i, v] of views) views.set(i, moduleView(tree, units[i], v, ctx));
      decls = units.map((_, i) => oldOf(i)?.decls ?? declsOf(views.get(i)!));
      mergeDecls(ctx, decls);
      if (declsDigest(ctx, newAlias) !== declsDigest(prev.context, oldAlias)) return undefined;
      exports = units.map((_, i) => oldOf(i)?.exports ?? modelFacts(views.get(i)!).exports);
      mergeExports(ctx, exports);
      if (exportsDigest(ctx, newAlias) !== exportsDigest(prev.context, oldAlias)) return undefined;
    }

    const { shift, still } = lineShift(old.map((s) => s.unit), units, head, tail);
    // The usual edit keeps every other unit on its lines: then only positions near the changed ones need a look.
    const firstChanged = head < old.length ? old[head].unit.startRow : Infinity;
    const tailStart = tail ? old[old.length - tail].unit.startRow : Infinity;
    const stays = (p: Position): boolean => (still && (p.line < firstChanged - 1 || p.line > tailStart)) || shift(p) === 0;
    const move = (list: Finding[]): Finding[] | undefined => (list.every((f) => allPositions(f, stays)) ? list : moveFindings(list, shift));
    const viewOf = (i: number): PythonModule => {
      let v = views.get(i);
      if (!v) {
        const [nodes] = scanNodes(tree, units[i].node, [units[i].startIndex]);
        views.set(i, v = moduleView(tree, units[i], nodes, ctx));
      }
      return v;
    };
    let analysed = 0;
    const states = units.map((u, i): UnitState => {
      const kept = oldOf(i);
      const findings = kept && move(kept.findings);
      if (!kept || !findings) {
        const v = viewOf(i);
        modelFacts(v);
        adoptGlobals(v);
        analysed++;
        const s: UnitState = { unit: u, outline: outlines[i], decls: decls[i], exports: exports[i], findings: rules.code(v, text), modelFindings: [], asked: [] };
        runModelRules(s, v, text, rules, models);
        return s;
      }
      const s: UnitState = { ...kept, unit: u, findings };
      // Model rules: kept while the resolver answers as before for every path they asked about.
      const modelFindings = move(kept.modelFindings);
      if (modelFindings && (models ? kept.asked.every(([lit, was]) => sameModel(models(lit), was)) : !kept.asked.length && !kept.modelFindings.length)) {
        s.modelFindings = modelFindings;
      } else {
        const v = viewOf(i);
        modelFacts(v);
        adoptGlobals(v);
        runModelRules(s, v, text, rules, models);
      }
      return s;
    });
    this.lastStats = { analysed, units: units.length, full: false };
    this.contextKept = unchanged;
    return { rootType: prev.rootType, units: states, context: ctx, rules };
  }
}

function same(a: Unit, b: Unit): boolean {
  return a.text === b.text && a.startColumn === b.startColumn;
}

const EMPTY_DECLS: UnitDecls = {
  keyTails: [], moduleNames: [], functionNames: [], registrations: [], bentoServices: [], strings: [], literals: [], callAssignments: [], typeAliases: [], defs: [], edges: [], instances: [],
  flags: { trains: false, usesAccelerator: false, precisionChosen: false, sessOptions: false, gradOff: false, staticRuntime: false },
};
const EMPTY_EXPORTS: UnitExports = { moduleBindings: [], methods: new Map(), called: new Set(), escapes: new Set(), handlerNames: [], inference: [] };

function runModelRules(s: UnitState, v: PythonModule, text: string, rules: UnitRules, models?: ModelResolver): void {
  s.asked = [];
  if (!models) { s.modelFindings = []; return; }
  s.modelFindings = rules.models(v, text, (lit) => {
    const r = models(lit);
    s.asked.push([lit, r]);
    return r;
  });
}

/** The resolver gives a new object per call; the model behind it is the same when its cached report is. */
function sameModel(a: ResolvedModel | undefined, b: ResolvedModel | undefined): boolean {
  if (!a || !b) return a === b;
  return a.file === b.file && a.summary === b.summary && a.findings === b.findings && JSON.stringify(a.measured) === JSON.stringify(b.measured);
}

/**
 * How many lines a position of the old text moved: positions in a unit that kept its text (or in the
 * gap after it) move with it. Undefined for positions in changed units, and for a line start that
 * sits between two units that moved differently (an insertion point after one, or before the next?).
 */
function lineShift(old: readonly Unit[], units: readonly Unit[], head: number, tail: number): { shift: (p: Position) => number | undefined; still: boolean } {
  const deltas = old.map((u, j) => (j < head ? units[j].startRow - u.startRow
    : j >= old.length - tail ? units[j + units.length - old.length].startRow - u.startRow : undefined));
  // The blank lines between the last changed unit and the untouched tail move with the tail when their count is unchanged.
  const lastChanged = old.length - tail - 1;
  const gapKept = tail > 0 && lastChanged >= head && units.length - tail - 1 >= head &&
    old[lastChanged + 1].startRow - old[lastChanged].endRow === units[units.length - tail].startRow - units[units.length - tail - 1].endRow;
  const deltaAt = (line: number): number | undefined => {
    let lo = 0, hi = old.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (old[mid].startRow <= line) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (at < 0) return 0;
    if (at === lastChanged && gapKept && line > old[at].endRow) return deltas[at + 1];
    return deltas[at];
  };
  const shift = (p: Position): number | undefined => {
    const d = deltaAt(p.line);
    if (d === undefined || p.character > 0 || p.line === 0) return d;
    return deltaAt(p.line - 1) === d ? d : undefined;
  };
  return { shift, still: deltas.every((d) => !d) };
}

/** Whether every position a finding names (its range, its fixes' edits) passes `test`. */
function allPositions(f: Finding, test: (p: Position) => boolean): boolean {
  if (!test(f.range.start) || !test(f.range.end)) return false;
  return !f.fixes || f.fixes.every((fix) => fix.edits.every((e) => test(e.range.start) && test(e.range.end)));
}

function moveFindings(findings: readonly Finding[], shift: (p: Position) => number | undefined): Finding[] | undefined {
  const out: Finding[] = [];
  const pos = (p: Position): Position | undefined => {
    const d = shift(p);
    return d === undefined ? undefined : { line: p.line + d, character: p.character };
  };
  for (const f of findings) {
    const start = pos(f.range.start), end = pos(f.range.end);
    if (!start || !end) return undefined;
    let fixes = f.fixes;
    if (fixes) {
      fixes = [];
      for (const fix of f.fixes!) {
        const edits = [];
        for (const e of fix.edits) {
          const s = pos(e.range.start), t = pos(e.range.end);
          if (!s || !t) return undefined;
          edits.push({ range: { start: s, end: t }, newText: e.newText });
        }
        fixes.push({ ...fix, edits });
      }
    }
    out.push({ ...f, range: { start, end }, ...(fixes && { fixes }) });
  }
  return out;
}

