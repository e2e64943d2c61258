// The `twinforge infer` backend for Hugging Face model folders (and dense LLM twins): input_ids
// [batch, seq] in, logits [batch, seq, vocab] (float32) out, by the native decoder forward.
import * as ort from 'onnxruntime-node';
import { badInput } from '../../core/errors';
import { HfFolder, isHfFolder } from '../../core/model/hf/folder';
import { forwardLogits } from '../../core/llm/forward';
import type { InferBackend } from './infer';

export const hfInferBackend: InferBackend = {
  kind: 'huggingface',
  match: isHfFolder,
  async open(p) {
    const folder = HfFolder.open(p);
    return {
      kind: 'huggingface',
      inputs: [{ name: 'input_ids', type: 'int64' }],
      async run(feeds) {
        const t = feeds.input_ids;
        if (t.dims.length !== 2) throw badInput(`input_ids has shape [${t.dims.join(', ')}]; a Hugging Face model takes [batch, sequence].`);
        const [batch, seq] = t.dims.map(Number);
        if (seq > folder.config.maxPositionEmbeddings) throw badInput(`input_ids has ${seq} tokens per sequence, more than max_position_embeddings (${folder.config.maxPositionEmbeddings}).`);
        const ids = Int32Array.from(t.data as BigInt64Array, (v) => Number(v));
        const logits = forwardLogits(folder, ids, { batch, seq });
        return { logits: new ort.Tensor('float32', logits, [batch, seq, folder.config.vocabSize]) };
      },
      async release() {
        folder.close();
      },
    };
  },
};
