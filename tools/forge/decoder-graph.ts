/**
 * The decoder-only transformer (Llama / Qwen2) as an ONNX graph of standard ops, with the inputs and outputs
 * transformers.js feeds a `*ForCausalLM` model:
 *   input_ids, position_ids int64 [batch_size, sequence_length]; attention_mask int64 [batch_size, total_sequence_length];
 *   past_key_values.{i}.key|value float [batch_size, kv_heads, past_sequence_length, head_dim]
 *   -> logits float [batch_size, sequence_length, vocab]; present.{i}.key|value [batch_size, kv_heads, total_sequence_length, head_dim].
 *
 * Attention is written with MatMul/Softmax (no contrib attention op): grouped-query attention folds the query
 * heads that share a KV head into the sequence axis ([B, kv, rep*S, D]) so K and V are never repeated in memory.
 * The mask combines causality (absolute positions past_len + i >= j) with attention_mask (left padding).
 *
 * Per dtype (what ONNX Runtime's quantizers put in the published files):
 *   fp32  MatMul on float weights.
 *   fp16  float16 weights and activations, float32 inputs/outputs (transformers.js' fp16 export keeps I/O types);
 *         the mask and softmax run in float32.
 *   q8    DynamicQuantizeLinear + MatMulInteger (per-tensor int8 weights) for every linear layer and the LM head;
 *         the embedding is an int8 Gather + DequantizeLinear.
 *   q4    com.microsoft MatMulNBits (bits 4, block 32, symmetric) for every linear layer and the LM head; the
 *         embedding stays float32 (as in SmolLM2's published model_q4.onnx).
 * A tied LM head is written as its own [hidden, vocab] weight next to the embedding, as the published exports do.
 */
import { ForgeError } from './errors.ts';
import { GraphBuilder, bytesOf, type OnnxModel, type TensorTypeName } from './onnx-writer.ts';
import { quantizeInt8, quantizeQ4, toFloat16, transpose } from './quantize.ts';
import { headDimOf, validateShape } from './random-weights.ts';
import type { Dtype, ModelShape, WeightSet } from './types.ts';

export interface DecoderGraphOptions {
  dtype: Dtype;
  /** MatMulNBits block size (published q4 files: 32). */
  q4BlockSize?: number;
  /** MatMulNBits accuracy_level; unset in published files (0: float compute). 4 = int8 compute on CPU. */
  q4AccuracyLevel?: number;
  producerVersion?: string;
  /**
   * How a tied LM head is stored: `copy` (default) writes its own [hidden, vocab] weight, as the SmolLM2 exports
   * do (model.onnx 654 MB for 135M); `shared` reuses the embedding table through a Transpose, as the Qwen2.5
   * exports do (model.onnx 1.99 GB for 0.5B, one file, and a float head in q4).
   */
  tiedHead?: 'copy' | 'shared';
  /** Called after each layer is built (quantizing a big model takes seconds). */
  onLayer?: (done: number, total: number) => void;
}

const FLOAT_MIN = -3.4028234663852886e38;

export function buildDecoderGraph(
  shape: ModelShape,
  weights: WeightSet,
  options: DecoderGraphOptions,
): OnnxModel {
  validateShape(shape);
  const { dtype } = options;
  const blockSize = options.q4BlockSize ?? 32;
  const g = new GraphBuilder();
  const act: TensorTypeName = dtype === 'fp16' ? 'float16' : 'float';
  const H = shape.hiddenSize;
  const D = headDimOf(shape);
  const nH = shape.numHeads;
  const nKv = shape.numKvHeads;
  const rep = nH / nKv;
  const V = shape.vocabSize;
  const I = shape.intermediateSize;

  const w = (name: string): Float32Array => {
    const t = weights.get(name);
    if (!t)
      throw new ForgeError(
        'missing-weight',
        `Weight ${name} is missing from the weight set; every tensor listed in types.ts is required.`,
      );
    return t;
  };
  const i64 = (values: number[]) => g.constant('int64', [values.length], values);
  const scalarAct = (v: number) => g.constant(act, [], [v]);
  const floatTensor = (name: string, dims: number[], data: Float32Array) =>
    act === 'float16'
      ? g.initializer(name, 'float16', dims, bytesOf(toFloat16(data)))
      : g.initializer(name, 'float', dims, bytesOf(data));

  // --- inputs
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const past: { key: string; value: string }[] = [];
  for (let i = 0; i < shape.numLayers; i++) {
    const kv = { key: `past_key_values.${i}.key`, value: `past_key_values.${i}.value` };
    for (const n of [kv.key, kv.value]) g.input(n, 'float', ['batch_size', nKv, 'past_sequence_length', D]);
    past.push(kv);
  }

  // --- linear layers per dtype; `quantized` caches DynamicQuantizeLinear per input (q, k and v share one)
  const quantized = new Map<string, string[]>();
  const linear = (
    x: string,
    name: string,
    weight: Float32Array,
    outDim: number,
    inDim: number,
    bias?: Float32Array,
  ): string => {
    let y: string;
    if (dtype === 'q4') {
      const q = quantizeQ4(weight, outDim, inDim, blockSize);
      const b = g.initializer(
        `${name}.MatMul.weight_Q4`,
        'uint8',
        [outDim, q.blocksPerRow, blockSize / 2],
        q.data,
      );
      const s = g.initializer(
        `${name}.MatMul.weight_scales`,
        'float',
        [outDim * q.blocksPerRow],
        bytesOf(q.scales),
      );
      const attrs: Record<string, number> = { K: inDim, N: outDim, bits: 4, block_size: blockSize };
      if (options.q4AccuracyLevel !== undefined) attrs.accuracy_level = options.q4AccuracyLevel;
      y = g.op1('MatMulNBits', [x, b, s], attrs, { domain: 'com.microsoft', name: `${name}/MatMul_Q4` });
    } else if (dtype === 'q8') {
      const q = quantizeInt8(transpose(weight, outDim, inDim));
      const wq = g.initializer(`${name}.MatMul.weight_quantized`, 'int8', [inDim, outDim], bytesOf(q.data));
      const ws = g.initializer(`${name}.MatMul.weight_scale`, 'float', [], bytesOf(Float32Array.of(q.scale)));
      const wz = g.initializer(
        `${name}.MatMul.weight_zero_point`,
        'int8',
        [],
        Int8Array.of(0) as unknown as Uint8Array,
      );
      let dq = quantized.get(x);
      if (!dq) {
        dq = g.op('DynamicQuantizeLinear', [x], undefined, {
          outputs: 3,
          name: `${name}/DynamicQuantizeLinear`,
        });
        quantized.set(x, dq);
      }
      const [xq, xs, xz] = dq as [string, string, string];
      const mm = g.op1('MatMulInteger', [xq, wq, xz, wz], undefined, { name: `${name}/MatMul_quant` });
      const mmf = g.op1('Cast', [mm], { to: 1 }, { name: `${name}/MatMul_quant_cast` });
      const scale = g.op1('Mul', [xs, ws], undefined, { name: `${name}/MatMul_quant_scales_mul` });
      y = g.op1('Mul', [mmf, scale], undefined, { name: `${name}/MatMul_quant_output_scale_mul` });
    } else {
      const t = floatTensor(`${name}.MatMul.weight`, [inDim, outDim], transpose(weight, outDim, inDim));
      y = g.op1('MatMul', [x, t], undefined, { name: `${name}/MatMul` });
    }
    if (bias)
      y = g.op1('Add', [y, floatTensor(`${name}.bias`, [outDim], bias)], undefined, { name: `${name}/Add` });
    return y;
  };

  // The pattern ONNX Runtime fuses into SimplifiedLayerNormalization.
  const rmsNorm = (x: string, name: string): string => {
    const sq = g.op1('Pow', [x, scalarAct(2)], undefined, { name: `${name}/Pow` });
    const mean = g.op1('ReduceMean', [sq], { axes: [-1], keepdims: 1 }, { name: `${name}/ReduceMean` });
    const eps = g.op1('Add', [mean, scalarAct(shape.rmsNormEps)], undefined, { name: `${name}/Add` });
    const rms = g.op1('Sqrt', [eps], undefined, { name: `${name}/Sqrt` });
    const normed = g.op1('Div', [x, rms], undefined, { name: `${name}/Div` });
    return g.op1('Mul', [normed, floatTensor(`${name}.weight`, [H], w(`${name}.weight`))], undefined, {
      name: `${name}/Mul`,
    });
  };

  // --- embedding (`table` is kept for a shared LM head)
  const embedding = w('model.embed_tokens.weight');
  let hidden: string;
  let table: { data: string; scale?: string; zero?: string };
  if (dtype === 'q8') {
    const q = quantizeInt8(embedding);
    const e = g.initializer('model.embed_tokens.weight_quantized', 'int8', [V, H], bytesOf(q.data));
    const es = g.initializer(
      'model.embed_tokens.weight_scale',
      'float',
      [],
      bytesOf(Float32Array.of(q.scale)),
    );
    const ez = g.initializer(
      'model.embed_tokens.weight_zero_point',
      'int8',
      [],
      Int8Array.of(0) as unknown as Uint8Array,
    );
    const gathered = g.op1(
      'Gather',
      [e, inputIds],
      { axis: 0 },
      { name: '/model/embed_tokens/Gather_quant' },
    );
    hidden = g.op1('DequantizeLinear', [gathered, es, ez], undefined, {
      name: '/model/embed_tokens/DequantizeLinear',
    });
    table = { data: e, scale: es, zero: ez };
  } else {
    const e = floatTensor('model.embed_tokens.weight', [V, H], embedding);
    hidden = g.op1('Gather', [e, inputIds], { axis: 0 }, { name: '/model/embed_tokens/Gather' });
    table = { data: e };
  }

  // --- rotary tables from position_ids: angle = position * theta^(-2i/D), halves duplicated (Hugging Face layout)
  const invFreq = Float32Array.from({ length: D / 2 }, (_, i) => 1 / Math.pow(shape.ropeTheta, (2 * i) / D));
  g.scope = '/model/rotary_emb';
  const posF = g.op1('Cast', [positionIds], { to: 1 });
  const posCol = g.op1('Unsqueeze', [posF, i64([2])]);
  const freqs = g.op1('Mul', [
    posCol,
    g.initializer('model.rotary_emb.inv_freq', 'float', [D / 2], bytesOf(invFreq)),
  ]);
  const angles = g.op1('Concat', [freqs, freqs], { axis: -1 });
  let cos = g.op1('Unsqueeze', [g.op1('Cos', [angles]), i64([1])]);
  let sin = g.op1('Unsqueeze', [g.op1('Sin', [angles]), i64([1])]);
  if (act === 'float16') {
    cos = g.op1('Cast', [cos], { to: 10 });
    sin = g.op1('Cast', [sin], { to: 10 });
  }

  // --- attention bias [B, 1, rep*S, T]: 0 where allowed, float min elsewhere
  g.scope = '/model/attn_mask';
  const seqLen = g.op1('Shape', [inputIds], { start: 1, end: 2 });
  const pastLen = g.op1('Shape', [past[0]!.key], { start: 2, end: 3 });
  const totalLen = g.op1('Shape', [attentionMask], { start: 1, end: 2 });
  const scalar = (t: string) => g.op1('Squeeze', [t, i64([0])]);
  const keyPos = g.op1('Range', [
    g.constant('int64', [], [0]),
    scalar(totalLen),
    g.constant('int64', [], [1]),
  ]);
  const queryEnd = g.op1('Add', [pastLen, seqLen]);
  const queryPos = g.op1('Range', [scalar(pastLen), scalar(queryEnd), g.constant('int64', [], [1])]);
  const causal = g.op1('LessOrEqual', [keyPos, g.op1('Unsqueeze', [queryPos, i64([1])])]);
  const padding = g.op1('Unsqueeze', [g.op1('Cast', [attentionMask], { to: 9 }), i64([1, 2])]);
  const allowed = g.op1('And', [causal, padding]);
  let bias = g.op1('Where', [allowed, g.constant('float', [], [0]), g.constant('float', [], [FLOAT_MIN])]);
  if (rep > 1) bias = g.op1('Tile', [bias, i64([1, 1, rep, 1])]);

  const rope = (x: string): string => {
    const [x1, x2] = g.op('Split', [x], { axis: -1 }, { outputs: 2 }) as [string, string];
    const rotated = g.op1('Concat', [g.op1('Neg', [x2]), x1], { axis: -1 });
    return g.op1('Add', [g.op1('Mul', [x, cos]), g.op1('Mul', [rotated, sin])]);
  };
  const invSqrtD = scalarAct(1 / Math.sqrt(D));

  for (let i = 0; i < shape.numLayers; i++) {
    const p = `model.layers.${i}`;
    g.scope = `/model/layers.${i}`;
    const xn = rmsNorm(hidden, `${p}.input_layernorm`);
    g.scope = `/model/layers.${i}/self_attn`;
    const qb = shape.family === 'qwen2' ? w(`${p}.self_attn.q_proj.bias`) : undefined;
    const kb = shape.family === 'qwen2' ? w(`${p}.self_attn.k_proj.bias`) : undefined;
    const vb = shape.family === 'qwen2' ? w(`${p}.self_attn.v_proj.bias`) : undefined;
    const heads = (x: string, n: number) =>
      g.op1('Transpose', [g.op1('Reshape', [x, i64([0, 0, n, D])])], { perm: [0, 2, 1, 3] });
    const q = heads(
      linear(xn, `${p}.self_attn.q_proj`, w(`${p}.self_attn.q_proj.weight`), nH * D, H, qb),
      nH,
    );
    const k = heads(
      linear(xn, `${p}.self_attn.k_proj`, w(`${p}.self_attn.k_proj.weight`), nKv * D, H, kb),
      nKv,
    );
    const v = heads(
      linear(xn, `${p}.self_attn.v_proj`, w(`${p}.self_attn.v_proj.weight`), nKv * D, H, vb),
      nKv,
    );
    const fp16 = act === 'float16';
    const pk = fp16 ? g.op1('Cast', [past[i]!.key], { to: 10 }) : past[i]!.key;
    const pv = fp16 ? g.op1('Cast', [past[i]!.value], { to: 10 }) : past[i]!.value;
    const keys = g.op1('Concat', [pk, rope(k)], { axis: 2 }, fp16 ? {} : { out: `present.${i}.key` });
    const values = g.op1('Concat', [pv, v], { axis: 2 }, fp16 ? {} : { out: `present.${i}.value` });
    if (fp16) {
      g.op1('Cast', [keys], { to: 1 }, { out: `present.${i}.key` });
      g.op1('Cast', [values], { to: 1 }, { out: `present.${i}.value` });
    }

    const qGrouped = g.op1('Reshape', [g.op1('Mul', [rope(q), invSqrtD]), i64([0, nKv, -1, D])]);
    let scores = g.op1('MatMul', [qGrouped, g.op1('Transpose', [keys], { perm: [0, 1, 3, 2] })]);
    if (act === 'float16') scores = g.op1('Cast', [scores], { to: 1 });
    let probs = g.op1('Softmax', [g.op1('Add', [scores, bias])], { axis: -1 });
    if (act === 'float16') probs = g.op1('Cast', [probs], { to: 10 });
    const context = g.op1('MatMul', [probs, values]);
    const merged = g.op1('Reshape', [
      g.op1('Transpose', [g.op1('Reshape', [context, i64([0, nH, -1, D])])], { perm: [0, 2, 1, 3] }),
      i64([0, 0, nH * D]),
    ]);
    const attnOut = linear(merged, `${p}.self_attn.o_proj`, w(`${p}.self_attn.o_proj.weight`), H, nH * D);
    g.scope = `/model/layers.${i}`;
    hidden = g.op1('Add', [hidden, attnOut], undefined, { name: 'residual_attn' });

    const xn2 = rmsNorm(hidden, `${p}.post_attention_layernorm`);
    g.scope = `/model/layers.${i}/mlp`;
    const gate = linear(xn2, `${p}.mlp.gate_proj`, w(`${p}.mlp.gate_proj.weight`), I, H);
    const up = linear(xn2, `${p}.mlp.up_proj`, w(`${p}.mlp.up_proj.weight`), I, H);
    const silu = g.op1('Mul', [gate, g.op1('Sigmoid', [gate])]);
    const down = linear(g.op1('Mul', [silu, up]), `${p}.mlp.down_proj`, w(`${p}.mlp.down_proj.weight`), H, I);
    g.scope = `/model/layers.${i}`;
    hidden = g.op1('Add', [hidden, down], undefined, { name: 'residual_mlp' });
    options.onLayer?.(i + 1, shape.numLayers);
  }

  g.scope = '/model';
  const finalNorm = rmsNorm(hidden, 'model.norm');
  g.scope = '';
  let logits: string;
  if (shape.tieWordEmbeddings && options.tiedHead === 'shared') {
    // One table for the embedding and the head, as the Qwen2.5 and SmolLM(1) exports: MatMul on its transpose
    // (float in q4, as MatMul4BitsQuantizer leaves a non-constant B alone; q8 transposes the int8 table).
    let t = g.op1('Transpose', [table.data], { perm: [1, 0] }, { name: '/lm_head/Transpose' });
    if (table.scale)
      t = g.op1('DequantizeLinear', [t, table.scale, table.zero!], undefined, {
        name: '/lm_head/DequantizeLinear',
      });
    logits = g.op1('MatMul', [finalNorm, t], undefined, { name: '/lm_head/MatMul' });
  } else {
    const head = shape.tieWordEmbeddings ? embedding : w('lm_head.weight');
    logits = linear(finalNorm, 'lm_head', head, V, H);
  }
  if (act === 'float16') g.op1('Cast', [logits], { to: 1 }, { name: '/lm_head/Cast', out: 'logits' });
  else g.op1('Identity', [logits], undefined, { name: '/lm_head/Identity', out: 'logits' });

  g.output('logits', 'float', ['batch_size', 'sequence_length', V]);
  for (let i = 0; i < shape.numLayers; i++) {
    g.output(`present.${i}.key`, 'float', ['batch_size', nKv, 'total_sequence_length', D]);
    g.output(`present.${i}.value`, 'float', ['batch_size', nKv, 'total_sequence_length', D]);
  }

  const opsets = [{ domain: '', version: 17 }];
  if (dtype === 'q4') opsets.push({ domain: 'com.microsoft', version: 1 });
  return {
    graphName: 'main_graph',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: g.inputs,
    outputs: g.outputs,
    opsets,
    producer: { name: 'petit-forge', version: options.producerVersion ?? '1' },
    irVersion: 8,
  };
}
