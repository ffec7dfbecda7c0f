/**
 * Model families, as the Responses API treats them. Reasoning models (gpt-5 and later, o-series, codex-*) return
 * `reasoning` items and accept `reasoning` settings; other models (gpt-4.1, gpt-4o, gpt-5-chat-latest) refuse them.
 */

/** True for models that reason: their requests need `include: ["reasoning.encrypted_content"]` under `store: false`. */
export function isReasoningModel(model: string): boolean {
  const m = model.toLowerCase().replace(/^openai\//, '');
  if (/-chat(-|$)/.test(m)) return false;
  return /^(o\d|gpt-([5-9]|\d\d)|codex-)/.test(m);
}
