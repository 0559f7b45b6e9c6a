import type { Finding, ModelContext, ModelRule } from '../types';
import { orderProblems } from '../../onnx/order';
import { opLabel } from './graph';

/** Line 0 of the model's view: where file-level findings sit until the text view maps nodes to lines. */
export const FILE_RANGE = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function check(ctx: ModelContext): Finding[] {
  const read: Finding[] = ctx.model.problems.map((p) => ({
    rule: ONNX000.id,
    message: p.offset !== undefined ? `${p.message} (byte ${p.offset})` : p.message,
    range: FILE_RANGE,
  }));
  // Nodes out of file order are fine (ONNX Runtime sorts them, so do we); a missing value or a cycle is not.
  const graph: Finding[] = orderProblems(ctx.model).map((p) => ({
    rule: ONNX000.id,
    message: p.kind === 'missing'
      ? `${opLabel(p.node)} reads '${p.name}', which no node, graph input or initializer in scope provides: the model cannot run, and figures after this node are unknown.`
      : `${opLabel(p.node)} is on a cycle (it needs, through other nodes, its own output): no order runs this graph, and figures after this node are unknown.`,
    range: FILE_RANGE,
    target: { kind: 'node', node: p.node },
  }));
  return [...read, ...graph];
}


/** The finding for a model that could not be read at all. */
export function unreadableModel(message: string): Finding {
  return { rule: ONNX000.id, message, range: FILE_RANGE, severity: 'error' };
}

export const ONNX000: ModelRule = {
  id: 'ONNX000',
  name: 'unreadable-model',
  target: 'model',
  defaultSeverity: 'error',
  docs: {
    summary: 'The model file is truncated, corrupt, not ONNX, or refers to external data that is missing or not allowed.',
    whatItDoes:
      'Reports what stopped the model from being read, or what is inconsistent in it: a truncated file, a ' +
      'field that runs past its message, a tensor whose stored bytes do not match its shape, an unknown data ' +
      'type, a missing or too-short external-data file, or an external-data `location` that is refused: an ' +
      'absolute path, `..` segments leaving the model\'s folder, a symlink out of it, or a FIFO, device or ' +
      'folder (the class of ONNX\'s CVE-2022-25882; such a file is never opened). Each message names the ' +
      'byte offset and the tensor. It also reports a node that reads a value nothing in scope produces, and nodes ' +
      'on a cycle: no order runs them. Nodes that are merely out of order in the file are not reported: ONNX ' +
      'Runtime sorts them, and so does the analysis.',
    whyItCosts:
      'A model that does not read cannot be served, and one whose tensors disagree with their shapes fails ' +
      'at session creation, in production, instead of in the editor.',
    example: 'model.onnx copied without its model.onnx.data (external weights), or cut short by an interrupted download.',
    useInstead: 'Re-export or re-download the model; keep `.onnx.data` files beside the `.onnx` that names them.',
  },
  check,
};
