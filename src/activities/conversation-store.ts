/**
 * The content-addressed conversation store: a role's conversation lives here, not in workflow history. Model turns
 * carry only the id of the conversation so far plus the few items added since; the activity reads the rest here and
 * writes what it adds. Without it every turn's input carried the whole conversation, encrypted reasoning included,
 * and a run's history grew with the square of its turns (issue 22).
 *
 * Two kinds of blob, each named by the sha256 of its bytes:
 *   an item   the JSON of one Responses item, exactly as sent to and received from the API;
 *   a node    `{"prev": <node id> | null, "items": [<item id>, ...]}`: the items one turn appended.
 * A conversation is the chain of nodes ending at its head. Blobs are never rewritten (same name, same bytes), so a
 * retried turn, a replayed workflow or two hosts writing at once cannot disagree. Every read checks the hash.
 *
 * The store is a directory every worker sees (CONVERSATION_STORE; by default beside a WORKSPACE_REMOTE that is a
 * local path), because model turns run on the shared queue, on any host: a run that moves to another host, or resumes
 * after a crash, finds its conversation there. A blob that is not there is a ConfigError naming it and the directory.
 * Nothing is ever deleted by the workers: remove a finished run's blobs with the directory, or keep them for audit.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../config/settings';
import { ConfigError } from '../shared/errors';
import type { ConversationItem } from '../shared/types';

/** A local directory that `remote` names, or undefined for a URL (`https://`, `ssh://`, `user@host:path`). */
function localPath(remote: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return remote.startsWith('file://') ? remote.slice(7) : undefined;
  if (/^[^/\\]+:/.test(remote) && !/^[A-Za-z]:[\\/]/.test(remote)) return undefined;
  return remote;
}

/**
 * Where the store is: CONVERSATION_STORE, else `<remote>.conversations` beside a local WORKSPACE_REMOTE (every host
 * that reaches the remote reaches it), else `<workspaceRoot>/.conversations` (one machine; hosts on other machines
 * then need CONVERSATION_STORE on a shared disk).
 */
export function conversationStoreDir(o: { store?: string; remote?: string; workspaceRoot: string }): string {
  if (o.store) return path.resolve(o.store);
  const local = o.remote === undefined ? undefined : localPath(o.remote);
  if (local !== undefined)
    return `${path
      .resolve(local)
      .replace(/[\\/]+$/, '')
      .replace(/\.git$/, '')}.conversations`;
  if (o.remote === undefined) return path.join(path.resolve(o.workspaceRoot), '.remote.conversations');
  return path.join(path.resolve(o.workspaceRoot), '.conversations');
}

/** The store the worker's settings name: what model turns write and Codex calls read a lost thread's prompts from. */
export function settingsStore(settings: Pick<Settings, 'conversationStore' | 'workspaceRemote' | 'workspaceRoot'>) {
  return new ConversationStore(
    conversationStoreDir({
      store: settings.conversationStore,
      remote: settings.workspaceRemote,
      workspaceRoot: settings.workspaceRoot,
    }),
  );
}

const BLOB_ID = /^[0-9a-f]{64}$/;

interface ConversationNode {
  prev: string | null;
  items: string[];
}

export class ConversationStore {
  /** Parsed blobs by id: they never change, so a worker may keep them (bounded by entries, not bytes). */
  private readonly cache = new Map<string, unknown>();

  constructor(
    readonly dir: string,
    private readonly maxCached = 20_000,
  ) {}

  /** The whole conversation ending at `head` (undefined: the empty conversation), oldest item first. */
  async read(head: string | undefined): Promise<ConversationItem[]> {
    const chain: ConversationNode[] = [];
    for (let id: string | null = head ?? null; id !== null;) {
      const node = (await this.get(id, 'conversation node')) as ConversationNode;
      chain.push(node);
      id = node.prev;
    }
    const ids = chain.reverse().flatMap((n) => n.items);
    return (await Promise.all(ids.map((id) => this.get(id, 'conversation item')))) as ConversationItem[];
  }

  /** Appends `items` to the conversation at `head`; returns the new head. Same input, same head. */
  async append(head: string | undefined, items: readonly ConversationItem[]): Promise<string> {
    const ids = await Promise.all(items.map((item) => this.put(item)));
    return this.put({ prev: head ?? null, items: ids } satisfies ConversationNode);
  }

  private async put(value: unknown): Promise<string> {
    const bytes = JSON.stringify(value);
    const id = createHash('sha256').update(bytes).digest('hex');
    if (this.cache.has(id)) return id;
    const file = this.file(id);
    await mkdir(path.dirname(file), { recursive: true });
    // Written whole, then renamed: a reader never sees half a blob, and a concurrent writer writes the same bytes.
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
    this.remember(id, value);
    return id;
  }

  private async get(id: string, what: string): Promise<unknown> {
    if (!BLOB_ID.test(id)) throw new ConfigError(`Invalid ${what} id ${JSON.stringify(id)} in the conversation`);
    if (this.cache.has(id)) return this.cache.get(id);
    let bytes: string;
    try {
      bytes = await readFile(this.file(id), 'utf8');
    } catch (err) {
      throw new ConfigError(
        `The ${what} ${id} is missing from the conversation store ${this.dir}: every worker must use the same ` +
          'store (CONVERSATION_STORE, by default beside WORKSPACE_REMOTE)',
        { cause: err },
      );
    }
    if (createHash('sha256').update(bytes).digest('hex') !== id) {
      throw new ConfigError(`The ${what} ${id} in the conversation store ${this.dir} is corrupt (its hash differs)`);
    }
    const value: unknown = JSON.parse(bytes);
    this.remember(id, value);
    return value;
  }

  private remember(id: string, value: unknown): void {
    if (this.cache.size >= this.maxCached) this.cache.clear();
    this.cache.set(id, value);
  }

  private file(id: string): string {
    return path.join(this.dir, id.slice(0, 2), id.slice(2));
  }
}
