/**
 * Mocked activities for the workflow tests: a fake model, a fake Codex that "writes" files into an in-memory
 * workspace, fake gates, git hosts and checks. Every call is recorded (which activity, which role, its input, in
 * which order) so tests assert what the workflow asked for. One `FakeRun` per workflow id; one worker serves them all.
 *
 * The fake model: a role's turn calls Codex once for each new user message (`codex` the first time, `codex-reply` on
 * its thread afterwards), then answers with a final text once Codex has answered.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { verifyThenList } from '../../../src/activities/verify';
import { checkTeam, type Team } from '../../../src/shared/team';
import type {
  CommitStepInput,
  PrepareWorkspaceInput,
  StepCommit,
  StepEndInput,
  StepEndResult,
  WorkspacePlacement,
} from '../../../src/shared/placement';
import type {
  CodexCallInput,
  CodexCallOutput,
  ConversationItem,
  CreateWorkspaceInput,
  FileRecord,
  GateInput,
  GateResult,
  ModelTurnInput,
  ModelTurnOutput,
  TokenUsage,
  VerifyInput,
  VerifyResult,
} from '../../../src/shared/types';

export type ActivityName =
  | 'modelTurn'
  | 'codexCall'
  | 'checkDeliverables'
  | 'listWorkspace'
  | 'createWorkspace'
  | 'prepareWorkspace'
  | 'commitStep'
  | 'runVerification';

export interface CallRecord {
  seq: number;
  name: ActivityName;
  /** The role the call was for (undefined for run-level calls). */
  role?: string;
  input: unknown;
  /** Set when the call returned: the seq at its end, so overlapping calls show. */
  endSeq?: number;
  /** The task queue the activity ran on. */
  taskQueue: string;
  /** The heartbeat timeout the workflow gave the activity. */
  heartbeatTimeoutMs?: number;
  /** A commit made by the gate activity that passed (`commit` in its input), not by an activity of its own. */
  inGate?: true;
}

export interface FakeOptions {
  /** Files a role's Codex call writes, by the role's Codex call number (1-based); default: its deliverables. */
  writes?: (role: string, call: number, input: CodexCallInput) => string[];
  /** Tokens of each model turn; default 100 total. */
  modelUsage?: TokenUsage;
  /** Tokens of each Codex call; default 0. */
  codexUsage?: TokenUsage;
  /** A worker from before `list`: passing checks never bring the final listing. */
  verifyWithoutListing?: boolean;
  /** Round results of `runVerification`; default: passes. */
  verify?: (input: VerifyInput) => Partial<VerifyResult>;
  /** The task queue of the run's host, by host number (1 first, 2 after a move); default: the worker's queue. */
  hostQueue?: (hostNo: number) => string;
  /** Runs before a call's fake work: may wait, throw, or call back into the workflow. */
  before?: (name: ActivityName, input: unknown, run: FakeRun) => Promise<void> | void;
}

export const usage = (total: number): TokenUsage => ({ input: total, output: 0, reasoning: 0, total });

/** A team from its raw form, with the schema's defaults; throws on an invalid team. */
export function team(raw: unknown): Team {
  const checked = checkTeam(raw);
  if (!checked.ok) throw new Error(`bad test team: ${JSON.stringify(checked.issues)}`);
  return checked.team;
}

/** A role with deliverables, for compact team definitions. */
export function role(id: string, files: string[], more: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, instructions: `You are ${id}.`, deliverables: files.map((path) => ({ path })), ...more };
}

/** Two roles in a row, the second with two deliverables: the smallest team with a handoff. */
export const pmThenDev = (): Team =>
  team({
    name: 'two',
    roles: [role('pm', ['REQUIREMENTS.md']), role('dev', ['index.html', 'game.js'], { after: ['pm'] })],
  });

export class FakeRun {
  readonly calls: CallRecord[] = [];
  /** Workspace path → files in it. */
  private readonly disks = new Map<string, Set<string>>();
  /** Commit id → the files it holds. */
  private readonly commits = new Map<string, Set<string>>();
  private hosts = 0;
  private readonly codexCallsByRole = new Map<string, number>();

  constructor(
    readonly workflowId: string,
    readonly team: Team,
    readonly options: FakeOptions = {},
  ) {}

  /** Calls of one activity, optionally for one role, in order. */
  of(name: ActivityName, role?: string): CallRecord[] {
    return this.calls.filter((c) => c.name === name && (role === undefined || c.role === role));
  }

  /** `name` inputs, typed. */
  inputs<T>(name: ActivityName, role?: string): T[] {
    return this.of(name, role).map((c) => c.input as T);
  }

  /** The order of first calls per role (a role "starts" with its first model turn). */
  startOrder(): string[] {
    return [...new Set(this.of('modelTurn').map((c) => c.role as string))];
  }

  filesIn(workspace: string): Set<string> {
    let disk = this.disks.get(workspace);
    if (!disk) this.disks.set(workspace, (disk = new Set()));
    return disk;
  }

  private deliverables(role: string): string[] {
    return this.team.roles.find((r) => r.id === role)?.deliverables.map((d) => d.path) ?? [];
  }

  /** The fake conversation store: a stored conversation's head → its items (src/activities/conversation-store.ts). */
  private readonly conversations = new Map<string, ConversationItem[]>();

  /** A stored conversation is read from and appended to the fake store, as the model-turn activity does. */
  modelTurn(input: ModelTurnInput): ModelTurnOutput {
    if (!input.conversation) return this.answer(input);
    const { head } = input.conversation;
    const earlier = head === undefined ? [] : this.conversations.get(head);
    if (!earlier) throw ApplicationFailure.nonRetryable(`conversation ${head} is missing from the fake store`);
    const all = [...earlier, ...input.input];
    const out = this.answer({ ...input, input: all });
    const items = [...all, ...out.items];
    const next = `conversation-${this.conversations.size + 1}`;
    this.conversations.set(next, items);
    return { ...out, items: [], conversation: { head: next, items: items.length } };
  }

  /** The conversation a model turn saw in full: its stored part and the items it carried. */
  conversationOf(input: ModelTurnInput): ConversationItem[] {
    const head = input.conversation?.head;
    return [...(head === undefined ? [] : (this.conversations.get(head) ?? [])), ...input.input];
  }

  private answer(input: ModelTurnInput): ModelTurnOutput {
    const last = input.input[input.input.length - 1];
    const base = {
      responseId: `resp-${input.role}-${input.turn}`,
      model: 'fake-model',
      usage: this.options.modelUsage ?? usage(100),
      scripted: true,
      durationMs: 1,
    };
    if (last?.type === 'function_call_output') {
      const text = `${input.role} done after turn ${input.turn}`;
      return {
        ...base,
        items: [{ type: 'message', role: 'assistant', content: text }],
        codexCalls: [],
        finalText: text,
      };
    }
    const thread = lastThread(input.input);
    const callId = `call-${input.role}-${input.turn}`;
    const prompt = `Codex, please: ${messageText(last).slice(0, 200)}`;
    const args = JSON.stringify(thread ? { prompt, threadId: thread } : { prompt });
    const tool = thread ? 'codex-reply' : 'codex';
    return {
      ...base,
      items: [{ type: 'function_call', call_id: callId, name: tool, arguments: args }],
      codexCalls: [{ callId, tool, prompt, ...(thread ? { threadId: thread } : {}) }],
    };
  }

  codexCall(input: CodexCallInput): CodexCallOutput {
    const n = (this.codexCallsByRole.get(input.role) ?? 0) + 1;
    this.codexCallsByRole.set(input.role, n);
    const files = this.options.writes ? this.options.writes(input.role, n, input) : this.deliverables(input.role);
    const disk = this.filesIn(input.cwd);
    for (const f of files) disk.add(f);
    return {
      threadId: input.threadId ?? `thread-${input.role}-${n}`,
      content: `wrote ${files.join(', ') || 'nothing'}`,
      usage: this.options.codexUsage ?? usage(0),
      filesChanged: files,
      commandsRun: 0,
      events: 1,
      durationMs: 1,
    };
  }

  checkDeliverables(input: GateInput): GateResult {
    const disk = this.filesIn(input.workspace);
    const present = [...input.required, ...input.optional].filter((p) => disk.has(p)).map(fileRecord);
    return { gate: input.gate, present, missing: input.required.filter((p) => !disk.has(p)) };
  }

  listWorkspace(workspace: string): FileRecord[] {
    return [...this.filesIn(workspace)].sort().map(fileRecord);
  }

  createWorkspace(input: CreateWorkspaceInput): string {
    return `/fake/${input.workflowId}`;
  }

  prepareWorkspace(input: PrepareWorkspaceInput, workerQueue: string): WorkspacePlacement {
    this.hosts += 1;
    const host = `host${this.hosts}`;
    const workspace = `/fake/${input.workflowId}/${host}`;
    const disk = this.filesIn(workspace);
    for (const f of input.fromCommit ? (this.commits.get(input.fromCommit) ?? []) : []) disk.add(f);
    return {
      workspace,
      host,
      disk: `disk-${host}`,
      hostQueue: this.options.hostQueue?.(this.hosts) ?? workerQueue,
      branch: `runs/${input.workflowId}`,
      remote: 'fake-remote',
      commit: input.fromCommit ?? 'c0',
      commits: input.fromCommit ? Number(input.fromCommit.slice(1)) : 0,
    };
  }

  commitStep(input: CommitStepInput): StepCommit {
    const commit = `c${this.commits.size + 1}`;
    this.commits.set(commit, new Set(this.filesIn(input.workspace)));
    return { commit, commits: this.commits.size, host: input.workspace.split('/').pop() ?? '?', branch: input.branch };
  }

  runVerification(input: VerifyInput): VerifyResult {
    return {
      round: input.round,
      passed: true,
      exitCode: 0,
      signal: null,
      timedOut: false,
      durationMs: 1,
      outputTail: 'ok\n',
      services: [],
      sandbox: 'none',
      ...this.options.verify?.(input),
    };
  }
}

const fileRecord = (p: string): FileRecord => ({ path: p, size: 1, sha256: `sha-${p}` });

/** The text of a user message item. */
export function messageText(item: ConversationItem | undefined): string {
  const content = item?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

/** The user messages a model turn was given, in order. */
export function userMessages(input: ModelTurnInput): string[] {
  return input.input.filter((i) => i.type === 'message' && i.role === 'user').map(messageText);
}

/** The Codex thread the conversation last got back from a Codex call. */
function lastThread(items: ConversationItem[]): string | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item?.type !== 'function_call_output' || typeof item.output !== 'string') continue;
    try {
      const parsed = JSON.parse(item.output) as { threadId?: unknown };
      if (typeof parsed.threadId === 'string') return parsed.threadId;
    } catch {
      // An error text, not a Codex answer.
    }
  }
  return undefined;
}

/** Which run an activity input belongs to. */
function workflowIdOf(name: ActivityName, input: unknown): string {
  if (name === 'listWorkspace') return (input as string).split('/')[2] ?? '';
  const i = input as { runId?: string; workflowId?: string; workspace?: string };
  if (name === 'checkDeliverables') return (i.workspace ?? '').split('/')[2] ?? '';
  return i.workflowId ?? i.runId ?? '';
}

function roleOf(input: unknown): string | undefined {
  return typeof input === 'object' && input !== null && 'role' in input ? String(input.role) : undefined;
}

/** The registry of fake runs and the activities a worker serves for them. */
export class Fakes {
  private readonly runs = new Map<string, FakeRun>();
  private seq = 0;

  add(run: FakeRun): FakeRun {
    this.runs.set(run.workflowId, run);
    return run;
  }

  /** Activities for a worker on `taskQueue`. */
  activities(taskQueue: string) {
    const wrap =
      <I, O>(name: ActivityName, fn: (run: FakeRun, input: I) => O | Promise<O>, inGate = false) =>
      async (input: I): Promise<O> => {
        const run = this.runs.get(workflowIdOf(name, input));
        if (!run) throw ApplicationFailure.nonRetryable(`no fake run for ${name} ${JSON.stringify(input)}`);
        const { heartbeatTimeoutMs } = Context.current().info;
        const record: CallRecord = {
          seq: ++this.seq,
          name,
          role: roleOf(input),
          input,
          taskQueue,
          heartbeatTimeoutMs,
          ...(inGate ? { inGate } : {}),
        };
        run.calls.push(record);
        await run.options.before?.(name, input, run);
        const out = await fn(run, input);
        record.endSeq = ++this.seq;
        return out;
      };
    const commitInGate = wrap('commitStep', (r, i: CommitStepInput) => r.commitStep(i), true);
    return {
      modelTurn: wrap('modelTurn', (r, i: ModelTurnInput) => r.modelTurn(i)),
      codexCall: wrap('codexCall', (r, i: CodexCallInput) => r.codexCall(i)),
      // As the worker's gate (src/activities/git-workspace.ts gateThenCommit): one that passed commits the step when
      // asked to, in the same activity; the commit is recorded as a commitStep call `inGate` (faults hit it too).
      checkDeliverables: wrap('checkDeliverables', async (r, i: StepEndInput): Promise<StepEndResult> => {
        const result = r.checkDeliverables(i);
        if (!i.commit || result.missing.length > 0) return result;
        const files = result.present;
        return { ...result, commit: await commitInGate({ ...i.commit, workspace: i.workspace, files }) };
      }),
      listWorkspace: wrap('listWorkspace', (r, i: string) => r.listWorkspace(i)),
      createWorkspace: wrap('createWorkspace', (r, i: CreateWorkspaceInput) => r.createWorkspace(i)),
      prepareWorkspace: wrap('prepareWorkspace', (r, i: PrepareWorkspaceInput) => r.prepareWorkspace(i, taskQueue)),
      commitStep: wrap('commitStep', (r, i: CommitStepInput) => r.commitStep(i)),
      // The worker's own composition (src/activities/verify.ts verifyThenList): passing checks of the run's last role
      // list the workspace when asked; a worker from before it answers without the listing.
      runVerification: wrap('runVerification', (r, i: VerifyInput) =>
        r.options.verifyWithoutListing
          ? r.runVerification(i)
          : verifyThenList(
              async (x) => r.runVerification(x),
              async (ws) => r.listWorkspace(ws),
            )(i),
      ),
    };
  }
}

/** Heartbeats until the activity is cancelled, then throws its cancellation (a long Codex call that is stopped). */
export async function blockUntilCancelled(onCancel?: () => void): Promise<never> {
  const ctx = Context.current();
  for (;;) {
    ctx.heartbeat();
    try {
      await Promise.race([ctx.cancelled, ctx.sleep(200)]);
    } catch (err) {
      onCancel?.();
      throw err instanceof CancelledFailure ? err : new CancelledFailure('cancelled');
    }
  }
}

/** Waits (real time, bounded) until `check` holds. */
export async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
