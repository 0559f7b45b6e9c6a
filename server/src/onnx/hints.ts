/**
 * Dim values a model says about itself, read before any default: its `metadata_props` (Ultralytics writes
 * `imgsz: [640, 640]` and `batch`, speech exports `sample_rate`), and where each dim used came from, for the
 * summary, ONNX011 and `analyze` JSON. Pure.
 */
import { isIntegerType } from './constants';
import type { Dim, ModelInfo } from './model';
import { dimExpression } from './dims';

const IMAGE_SIZE = /^(imgsz|img_?size|image_?size|input_?size)$/i;
const SAMPLE_RATE_KEY = /^(sample_?rate|sampling_?rate|sr)$/i;
const BATCH_KEY = /^(batch|batch_?size)$/i;
const SAMPLE_RATE_INPUT = /^(sr|sample_?rate|sampling_?rate)$/i;

/** "640", "[640, 640]", "(480, 640)", "480x640" → numbers; undefined for anything else. */
export function parseSize(text: string): number[] | undefined {
  const parts = text.trim().replace(/^[[(]|[\])]$/g, '').split(/\s*[,x×]\s*/i);
  const nums = parts.map(Number);
  return nums.length >= 1 && nums.length <= 3 && nums.every((n) => Number.isInteger(n) && n > 0 && n <= 1 << 20) ? nums : undefined;
}

/** The height and width axes of a rank-4 image input: NCHW when dim 1 is a channel count (1–4), NHWC when the last is. */
export function imageAxes(shape: readonly Dim[]): [number, number] | undefined {
  if (shape.length !== 4) return undefined;
  const channels = (d: Dim) => typeof d === 'number' && d >= 1 && d <= 4;
  return channels(shape[1]) ? [2, 3] : channels(shape[3]) ? [1, 2] : undefined;
}

export interface DimHints {
  dims: Record<string, number>;
  /** dim key → "metadata_props imgsz=[640, 640]" */
  sources: Record<string, string>;
}

/** The model's dynamic input dims that its metadata_props give a value for. */
export function metadataDims(model: ModelInfo): DimHints {
  const dims: Record<string, number> = {};
  const sources: Record<string, string> = {};
  const meta = model.metadata ?? {};
  const set = (key: string, value: number, metaKey: string): void => {
    if (dims[key] !== undefined || dimExpression(key)) return;
    dims[key] = value;
    sources[key] = `metadata_props ${metaKey}=${meta[metaKey]}`;
  };
  const keyOf = (input: string, d: unknown, axis: number): string | undefined =>
    typeof d === 'string' ? d : d === null || (typeof d === 'number' && d < 0) ? `${input}[${axis}]` : undefined;
  for (const [metaKey, text] of Object.entries(meta)) {
    if (IMAGE_SIZE.test(metaKey)) {
      const size = parseSize(text);
      if (!size) continue;
      const [h, w] = size.length === 1 ? [size[0], size[0]] : size.slice(-2);
      for (const i of model.graph.inputs) {
        const s = i.shape;
        const axes = s ? imageAxes(s) : undefined;
        if (!s || !axes) continue;
        const [ha, wa] = axes;
        const kh = keyOf(i.name, s[ha], ha), kw = keyOf(i.name, s[wa], wa);
        if (kh) set(kh, h, metaKey);
        if (kw) set(kw, w, metaKey);
      }
    } else if (SAMPLE_RATE_KEY.test(metaKey)) {
      const v = Number(text);
      if (!Number.isInteger(v) || v <= 0) continue;
      for (const i of model.graph.inputs) {
        if (SAMPLE_RATE_INPUT.test(i.name) && isIntegerType(i.elemType) && (i.shape?.length ?? 0) <= 1) set(i.name, v, metaKey);
      }
    } else if (BATCH_KEY.test(metaKey)) {
      const v = Number(text);
      if (!Number.isInteger(v) || v <= 0) continue;
      for (const i of model.graph.inputs) {
        const k = i.shape && i.shape.length > 1 ? keyOf(i.name, i.shape[0], 0) : undefined;
        if (k) set(k, v, metaKey);
      }
    }
  }
  return { dims, sources };
}

/**
 * Where each dim used came from: set by the user, the model's metadata, an expression of other dims, a
 * length chosen to fit the model's kernels, the default sample rate, or the default by name/position.
 */
export function dimSources(
  used: Record<string, number>, given: Record<string, number>, hints: DimHints, fitted: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(used)) {
    if (given[k] !== undefined) out[k] = 'set';
    else if (hints.sources[k]) out[k] = hints.sources[k];
    else if (fitted[k]) out[k] = 'fitted: the default did not fit the model';
    else if (dimExpression(k)) out[k] = 'expression of other dims';
    else if (SAMPLE_RATE_INPUT.test(k)) out[k] = 'default sample rate';
    else out[k] = 'default';
  }
  return out;
}
