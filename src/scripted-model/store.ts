/**
 * What the scripted model keeps of `store`d responses and of conversations, as the Responses API does: per API key
 * (another key never sees them), in memory, bounded (the least recently used go first). A stored response remembers
 * the response it continued, so `previous_response_id` gives the whole chain: each response's input, then its output.
 */
import type { OutputItem, ResponseObject } from './responses';
import { isRecord, type Item } from './text';

export interface StoredResponse {
  /** Replaced as a background response moves from queued to in_progress to its end. */
  response: ResponseObject;
  /** The request's own input items, each with an id (`GET /responses/{id}/input_items`). */
  input: OutputItem[];
  /** The stored response this one continued (`previous_response_id`); held even if evicted, as the chain needs it. */
  previous?: StoredResponse;
}

export interface Conversation {
  id: string;
  object: 'conversation';
  created_at: number;
  metadata: Record<string, unknown>;
  /** Everything said so far: prepended to the input of each response made in it. */
  items: Item[];
}

/** Least recently used first out, beyond `max` entries. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    for (const oldest of this.map.keys()) {
      if (this.map.size <= this.max) break;
      this.map.delete(oldest);
    }
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }
}

/** Stored responses kept (over all keys): each holds its request's input, which can be a whole conversation. */
const MAX_STORED_RESPONSES = 2_000;
const MAX_CONVERSATIONS = 500;

export class ResponseStore {
  private readonly responses: Lru<StoredResponse>;
  private readonly conversations: Lru<Conversation>;

  constructor(limits: { responses?: number; conversations?: number } = {}) {
    this.responses = new Lru(limits.responses ?? MAX_STORED_RESPONSES);
    this.conversations = new Lru(limits.conversations ?? MAX_CONVERSATIONS);
  }

  getResponse(apiKey: string, id: string): StoredResponse | undefined {
    return this.responses.get(`${apiKey}\u0000${id}`);
  }

  putResponse(apiKey: string, stored: StoredResponse): void {
    this.responses.set(`${apiKey}\u0000${stored.response.id}`, stored);
  }

  deleteResponse(apiKey: string, id: string): boolean {
    return this.responses.delete(`${apiKey}\u0000${id}`);
  }

  getConversation(apiKey: string, id: string): Conversation | undefined {
    return this.conversations.get(`${apiKey}\u0000${id}`);
  }

  putConversation(apiKey: string, c: Conversation): void {
    this.conversations.set(`${apiKey}\u0000${c.id}`, c);
  }

  deleteConversation(apiKey: string, id: string): boolean {
    return this.conversations.delete(`${apiKey}\u0000${id}`);
  }
}

/** The context a response continues from: every earlier response's input and output, oldest first. */
export function chainContext(stored: StoredResponse): Item[] {
  const chain: StoredResponse[] = [];
  for (let s: StoredResponse | undefined = stored; s; s = s.previous) chain.unshift(s);
  return chain.flatMap((s) => [...s.input, ...s.response.output]);
}

/**
 * Input items as the API stores and lists them: each with an id, a message's string content as an input_text part
 * (output_text for the assistant's).
 */
export function storedInputItems(input: readonly Item[], newId: (prefix: string) => string): OutputItem[] {
  return input.map((item) => {
    const type = typeof item.type === 'string' ? item.type : 'message';
    const id = typeof item.id === 'string' ? item.id : newId(ID_PREFIX[type] ?? 'item');
    if (type !== 'message') return { ...item, type, id };
    const role = typeof item.role === 'string' ? item.role : 'user';
    const partType = role === 'assistant' ? 'output_text' : 'input_text';
    const content =
      typeof item.content === 'string'
        ? [{ type: partType, text: item.content }]
        : Array.isArray(item.content)
          ? item.content.filter(isRecord)
          : [];
    return { id, type, status: 'completed', role, content };
  });
}

const ID_PREFIX: Record<string, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  custom_tool_call: 'ctc',
  custom_tool_call_output: 'ctco',
  reasoning: 'rs',
};
