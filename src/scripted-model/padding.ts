/**
 * The `pad` fault effect: answers the size a real reasoning model's are, and roles that talk as long as real ones do.
 * The scripted model's own items are tiny, which hides what large conversations cost (history size, payload limits):
 *   reasoningBytes  the answer's reasoning item carries `encrypted_content` of about this many bytes (still sealed, so
 *                   the reasoning-item rule accepts it back);
 *   textBytes       the final message (Codex's summary, or an agent's answer) is padded to about this many bytes with
 *                   a notes paragraph after its own text, so what parses it still does;
 *   turns           an agent that would answer after a Codex output asks Codex again on the same thread (the same
 *                   prompt) until its conversation reaches this model turn.
 */
import { z } from 'zod';
import type { Draft, OutputItem, ResponseObject } from './responses';
import { sealReasoning } from './rules';
import { isRecord, type Item } from './text';

export const PadSchema = z.object({
  reasoningBytes: z.number().int().min(0).max(1_000_000).optional(),
  textBytes: z.number().int().min(0).max(1_000_000).optional(),
  turns: z.number().int().min(1).max(1_000).optional(),
});
export type Pad = z.infer<typeof PadSchema>;

const FILLER =
  'Notes: every file was written in full and checked again; nothing outside the task list was changed, and the ' +
  'names, ports and paths follow the brief exactly. ';

const filler = (bytes: number): string => FILLER.repeat(Math.ceil(bytes / FILLER.length)).slice(0, bytes);

/** An agent's drafts for one turn: a final answer becomes another `codex-reply` until the turn `pad.turns`. */
export function keepTalking(drafts: Draft[], input: readonly Item[], turn: number, pad: Pad | undefined): Draft[] {
  if (!pad?.turns || turn >= pad.turns) return drafts;
  if (drafts.some((d) => d.type !== 'message') || input[input.length - 1]?.type !== 'function_call_output') {
    return drafts;
  }
  const first = input.find((i) => i.type === 'function_call' && i.name === 'codex');
  const prompt = promptOf(first);
  const threadId = latestThread(input);
  if (!prompt || !threadId) return drafts;
  return [{ type: 'function_call', name: 'codex-reply', arguments: JSON.stringify({ threadId, prompt }) }];
}

/** Pads the answer's reasoning item and final message in place, as `pad` asks. */
export function padResponse(r: ResponseObject, pad: Pad | undefined): void {
  if (!pad) return;
  for (const item of r.output) {
    if (item.type === 'reasoning' && pad.reasoningBytes && typeof item.encrypted_content === 'string') {
      // base64url of JSON: 4 bytes out per 3 in, plus the id and the signature.
      const room = Math.max(0, Math.floor((pad.reasoningBytes - 120) * 0.75));
      item.encrypted_content = sealReasoning(String(item.id), `scripted reasoning ${filler(room)}`);
    }
    if (item.type === 'message' && pad.textBytes) padMessage(item, pad.textBytes);
  }
}

function padMessage(item: OutputItem, bytes: number): void {
  const parts = Array.isArray(item.content) ? item.content.filter(isRecord) : [];
  const part = parts.find((p) => p.type === 'output_text' && typeof p.text === 'string');
  if (!part) return;
  const text = String(part.text);
  if (text.length < bytes) part.text = `${text}\n\n${filler(bytes - text.length - 2)}`;
}

function promptOf(call: Item | undefined): string | undefined {
  try {
    const args: unknown = JSON.parse(String(call?.arguments ?? ''));
    return isRecord(args) && typeof args.prompt === 'string' ? args.prompt : undefined;
  } catch {
    return undefined;
  }
}

function latestThread(input: readonly Item[]): string | undefined {
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i];
    if (item?.type !== 'function_call_output') continue;
    try {
      const out: unknown = JSON.parse(String(item.output ?? ''));
      if (isRecord(out) && typeof out.threadId === 'string') return out.threadId;
    } catch {
      // an error text
    }
  }
  return undefined;
}
