/**
 * Reading the conversations the scripted model receives: message text, the task list between <<< >>>,
 * `- path (required|optional): purpose` lines, and the project name.
 */
import { createHash } from 'node:crypto';

export type Item = Record<string, unknown> & { type?: unknown };

export interface FileLine {
  path: string;
  required: boolean;
  purpose: string;
}

/** The text of a message item: string content or the text of its content parts. */
export function messageText(item: Item): string {
  const content = item.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

export const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/**
 * The text of a tool output: a string, or a list of content parts (the Agents SDK sends an MCP tool's result as
 * `[{type: "input_text", text}]`), their texts joined.
 */
export function toolOutputText(output: unknown): string {
  if (typeof output === 'string') return output;
  const parts = Array.isArray(output) ? output : [output];
  return parts
    .map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

/** Items without a `type` but with a `role` are messages (the Responses API accepts both forms). */
export const isMessage = (item: Item, role?: string): boolean =>
  (item.type === 'message' || (item.type === undefined && typeof item.role === 'string')) &&
  (role === undefined || item.role === role);

export const isToolOutput = (item: Item): boolean =>
  item.type === 'function_call_output' || item.type === 'custom_tool_call_output';

/** The last block between a `<<<` line and a `>>>` line. */
export function extractTaskList(text: string): string | undefined {
  const blocks = [...text.matchAll(/^<<<\s*\n([\s\S]*?)\n>>>\s*$/gm)];
  const last = blocks[blocks.length - 1];
  return last?.[1]?.trim();
}

/**
 * `- path (required|optional): purpose` lines (or `- path (N bytes)`) of the last section that starts with `header`;
 * the section ends at the first blank line after its items.
 */
export function parseFileLines(text: string, header: string): FileLine[] {
  const at = text.lastIndexOf(header);
  if (at < 0) return [];
  const out: FileLine[] = [];
  for (const line of text
    .slice(at + header.length)
    .split('\n')
    .slice(1)) {
    const m = /^\s*-\s+([^\s:]+):?(.*)$/.exec(line);
    if (!m) {
      if (line.trim() === '' && out.length > 0) break;
      continue;
    }
    const rest = m[2] ?? '';
    const purpose = rest.includes(':') ? rest.slice(rest.indexOf(':') + 1).trim() : '';
    out.push({ path: m[1] ?? '', required: !/^\s*\(optional\)/.test(rest), purpose });
  }
  return out;
}

/** A short project name: a quoted name, else a markdown heading, else the first line. */
export function projectName(taskList: string): string {
  const quoted = /["“]([^"”\n]{2,60})["”]/.exec(taskList);
  if (quoted?.[1]) return quoted[1].trim();
  const heading = /^#+\s+(.+)$/m.exec(taskList);
  if (heading?.[1]) return heading[1].trim().slice(0, 60);
  const first = taskList.split('\n').find((l) => l.trim() !== '') ?? 'Project';
  const cleaned = first
    .replace(/^\s*(goal|project|task)\s*:\s*/i, '')
    .replace(/^(build|create|make|implement)\s+(an?\s+|the\s+)?/i, '')
    .replace(/[.!]+\s*$/, '')
    .trim();
  return (cleaned === '' ? 'Project' : cleaned).slice(0, 60);
}

export const isBugBusters = (taskList: string): boolean => /bug busters/i.test(taskList);

/** Rough token count, as real tokenizers give about 4 characters per token for English and code. */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted at every level, so equal values always serialise alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}

/** Lists for prose: "a, b and c". */
export function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}
