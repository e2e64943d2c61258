// A zoo model's decoder structure: Hugging Face model folders carry it in meta.decoder
// (zoo/hf-folder.ts); other models have none.
import type { LlmDecoderSummary } from '../api';

export function decoderOf(meta: Record<string, unknown> | undefined): LlmDecoderSummary | undefined {
  const d = meta?.decoder as LlmDecoderSummary | undefined;
  return d && typeof d.layers === 'number' && typeof d.hidden === 'number' ? d : undefined;
}
