/**
 * A BERT-base-sized encoder built by code (never committed): 12 layers, hidden 768, 12 heads, MLP 3072,
 * vocab 30522, 512 positions, pooler; opset 17 as PyTorch exports it (LayerNormalization, erf GELU
 * decomposed, attention as MatMul/Softmax with Reshape/Transpose to heads). About 110 M float parameters,
 * about 438 MB. Weights are seeded, distinct per tensor, so no two initializers are duplicates.
 */
import { onnx } from 'onnx-proto';
import { encodeModel, floatTensor, int64Tensor, model, node, seededFloats, valueInfo } from '../../server/src/onnx/builder';
import { DataType } from '../../server/src/onnx/model';

export interface BertSize { layers: number; hidden: number; heads: number; mlp: number; vocab: number; positions: number }
export const BERT_BASE: BertSize = { layers: 12, hidden: 768, heads: 12, mlp: 3072, vocab: 30522, positions: 512 };

export function bertModel(size: BertSize = BERT_BASE): Buffer {
  const { layers, hidden: d, heads, mlp, vocab, positions } = size;
  const inits: onnx.ITensorProto[] = [];
  let seed = 1;
  const w = (name: string, dims: number[], scale = 0.02): string => {
    inits.push(floatTensor(name, dims, seededFloats(dims.reduce((a, b) => a * b, 1), seed++, scale)));
    return name;
  };
  const ones = (name: string, n: number): string => { inits.push(floatTensor(name, [n], new Float32Array(n).fill(1))); return name; };
  inits.push(int64Tensor('heads_shape', [4], [0, 0, heads, d / heads]), int64Tensor('merge_shape', [3], [0, 0, d]), int64Tensor('zero', [1], [0]));
  inits.push(floatTensor('sqrt2', [], [Math.SQRT2]), floatTensor('one', [], [1]), floatTensor('half', [], [0.5]), floatTensor('scale', [], [Math.sqrt(d / heads)]));
  const nodes: onnx.INodeProto[] = [];
  const ln = (x: string, out: string, p: string): void => {
    nodes.push(node('LayerNormalization', [x, ones(`${p}.weight`, d), w(`${p}.bias`, [d])], [out], { axis: -1, epsilon: 1e-12 }, { name: `/${p}/LayerNormalization` }));
  };
  const linear = (x: string, out: string, p: string, n: number, k: number): void => {
    nodes.push(node('MatMul', [x, w(`${p}.weight`, [k, n])], [`${p}_mm`], {}, { name: `/${p}/MatMul` }));
    nodes.push(node('Add', [w(`${p}.bias`, [n]), `${p}_mm`], [out], {}, { name: `/${p}/Add` }));
  };

  // Embeddings: word + position (a Slice of the table by the sequence length) + token type 0, LayerNorm.
  nodes.push(node('Gather', [w('embeddings.word_embeddings.weight', [vocab, d]), 'input_ids'], ['words'], {}, { name: '/embeddings/word_embeddings/Gather' }));
  nodes.push(node('Shape', ['input_ids'], ['ids_shape'], { start: 1, end: 2 }, { name: '/embeddings/Shape' }));
  nodes.push(node('Slice', [w('embeddings.position_embeddings.weight', [positions, d]), 'zero', 'ids_shape', 'zero'], ['pos'], {}, { name: '/embeddings/position_embeddings/Slice' }));
  nodes.push(node('Gather', [w('embeddings.token_type_embeddings.weight', [2, d]), 'zero'], ['tok'], {}, { name: '/embeddings/token_type_embeddings/Gather' }));
  nodes.push(node('Add', ['words', 'pos'], ['wp'], {}, { name: '/embeddings/Add' }));
  nodes.push(node('Add', ['wp', 'tok'], ['emb'], {}, { name: '/embeddings/Add_1' }));
  ln('emb', 'h0', 'embeddings.LayerNorm');

  for (let l = 0; l < layers; l++) {
    const p = `encoder.layer.${l}`;
    const x = `h${l}`;
    const heads4 = (name: string, t: string, perm: number[]): void => {
      nodes.push(node('Reshape', [name, 'heads_shape'], [`${name}_r`], {}, { name: `/${p}/${t}/Reshape` }));
      nodes.push(node('Transpose', [`${name}_r`], [`${name}_t`], { perm }, { name: `/${p}/${t}/Transpose` }));
    };
    linear(x, `${p}_q`, `${p}.attention.self.query`, d, d);
    linear(x, `${p}_k`, `${p}.attention.self.key`, d, d);
    linear(x, `${p}_v`, `${p}.attention.self.value`, d, d);
    heads4(`${p}_q`, 'query', [0, 2, 1, 3]);
    heads4(`${p}_k`, 'key', [0, 2, 3, 1]);
    heads4(`${p}_v`, 'value', [0, 2, 1, 3]);
    nodes.push(node('MatMul', [`${p}_q_t`, `${p}_k_t`], [`${p}_scores`], {}, { name: `/${p}/attention/self/MatMul` }));
    nodes.push(node('Div', [`${p}_scores`, 'scale'], [`${p}_scaled`], {}, { name: `/${p}/attention/self/Div` }));
    nodes.push(node('Softmax', [`${p}_scaled`], [`${p}_probs`], { axis: -1 }, { name: `/${p}/attention/self/Softmax` }));
    nodes.push(node('MatMul', [`${p}_probs`, `${p}_v_t`], [`${p}_ctx`], {}, { name: `/${p}/attention/self/MatMul_1` }));
    nodes.push(node('Transpose', [`${p}_ctx`], [`${p}_ctx_t`], { perm: [0, 2, 1, 3] }, { name: `/${p}/attention/self/Transpose_3` }));
    nodes.push(node('Reshape', [`${p}_ctx_t`, 'merge_shape'], [`${p}_merged`], {}, { name: `/${p}/attention/self/Reshape_3` }));
    linear(`${p}_merged`, `${p}_attn`, `${p}.attention.output.dense`, d, d);
    nodes.push(node('Add', [`${p}_attn`, x], [`${p}_res1`], {}, { name: `/${p}/attention/output/Add_1` }));
    ln(`${p}_res1`, `${p}_a`, `${p}.attention.output.LayerNorm`);
    linear(`${p}_a`, `${p}_i`, `${p}.intermediate.dense`, mlp, d);
    nodes.push(
      node('Div', [`${p}_i`, 'sqrt2'], [`${p}_gs`], {}, { name: `/${p}/intermediate/intermediate_act_fn/Div` }),
      node('Erf', [`${p}_gs`], [`${p}_ge`], {}, { name: `/${p}/intermediate/intermediate_act_fn/Erf` }),
      node('Add', [`${p}_ge`, 'one'], [`${p}_gp`], {}, { name: `/${p}/intermediate/intermediate_act_fn/Add` }),
      node('Mul', [`${p}_i`, `${p}_gp`], [`${p}_gm`], {}, { name: `/${p}/intermediate/intermediate_act_fn/Mul` }),
      node('Mul', [`${p}_gm`, 'half'], [`${p}_g`], {}, { name: `/${p}/intermediate/intermediate_act_fn/Mul_1` }),
    );
    linear(`${p}_g`, `${p}_o`, `${p}.output.dense`, d, mlp);
    nodes.push(node('Add', [`${p}_o`, `${p}_a`], [`${p}_res2`], {}, { name: `/${p}/output/Add_1` }));
    ln(`${p}_res2`, l === layers - 1 ? 'last_hidden_state' : `h${l + 1}`, `${p}.output.LayerNorm`);
  }
  // Pooler: the first token through a dense layer and tanh.
  nodes.push(node('Gather', ['last_hidden_state', 'zero'], ['cls'], { axis: 1 }, { name: '/pooler/Gather' }));
  linear('cls', 'pooled_pre', 'pooler.dense', d, d);
  nodes.push(node('Tanh', ['pooled_pre'], ['pooler_output'], {}, { name: '/pooler/activation/Tanh' }));

  return encodeModel(model({
    name: 'bert_base_like', nodes, initializers: inits,
    inputs: [valueInfo('input_ids', DataType.INT64, ['batch', 'sequence'])],
    outputs: [valueInfo('last_hidden_state', DataType.FLOAT, ['batch', 'sequence', d]), valueInfo('pooler_output', DataType.FLOAT, ['batch', 1, d])],
  }));
}
