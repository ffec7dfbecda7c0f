/**
 * The script the scripted model plays for Codex itself. Codex sends the whole thread each time, so the step
 * follows from the input: after our prompt (the last user message Codex did not generate), count the tool outputs.
 *   step i < files  -> write file i with a tool Codex offered in this request: its `apply_patch` ("*** Add File",
 *                      which Codex 0.153.4 lets overwrite an existing file), else a here-document through its
 *                      command tool (`exec_command`, or the older `shell`): Codex offers no `apply_patch` for a model
 *                      it has no metadata for (0.153.4 with `model = "gpt-5"`, 0.171 with most slugs)
 *   step = files    -> one command that checks the written files (node --check, bash -n, wc -c), after a `command`
 *                      fault's command if one fired; with `escalate` (the `needs-approval` fault) it asks to run
 *                      outside the sandbox, so Codex asks for approval
 *   then            -> a final assistant message saying what the tool outputs showed: the files whose write
 *                      succeeded, those that failed and why, and whether the check exited 0
 */
import { changeCodexScript } from './change-script';
import { fileContent } from './content';
import { parseCodexPrompt, type ParsedCodexPrompt } from './codex-prompt';
import type { Draft } from './responses';
import { isMessage, isRecord, isToolOutput, joinAnd, messageText, toolOutputText, type Item } from './text';

export interface CodexTurn {
  /** Our prompt: the latest user message that is not context Codex added itself. */
  prompt: string;
  parsed?: ParsedCodexPrompt;
  /** Tool outputs after the prompt: 0 on the turn's first request. */
  step: number;
  /** The text of the latest tool output (what Codex told its model about the last tool call). */
  lastOutput?: string;
  /** The texts of the tool outputs after the prompt, in order (one per step). */
  outputs: string[];
  /** The tools Codex offered in this request that the script can use. */
  offered: OfferedTools;
}

/**
 * What Codex offered to write files and run commands with. `apply_patch` is a freeform (`custom`) tool in current
 * Codex and a JSON `function` tool (`{input}`) for some models; the command tool is `exec_command` (`{cmd}`) or, in
 * older configurations, `shell` (`{command: string[]}`). In code mode (Codex 0.153.4 on its default model) Codex
 * offers neither at the top level: its `additional_tools` input item holds one freeform `exec` tool that runs
 * JavaScript, with the other tools reachable inside it as `tools.apply_patch(...)` / `tools.exec_command(...)`.
 */
export interface OfferedTools {
  applyPatch?: 'custom' | 'function';
  command?: 'exec_command' | 'shell';
  /** The tools reachable through code mode's `exec`, when Codex offered it. */
  codeMode?: { applyPatch: boolean; execCommand: boolean };
}

/** The tools Codex 0.153.4 offers for a model it knows (gpt-5.2-codex): what a test means by "Codex's usual tools". */
export const USUAL_CODEX_TOOLS: readonly unknown[] = [
  { type: 'function', name: 'exec_command' },
  { type: 'custom', name: 'apply_patch' },
];

/** The request's tools, and those of its `additional_tools` input items, with namespaces flattened. */
function toolsOffered(tools: readonly unknown[], input: readonly Item[]): Record<string, unknown>[] {
  const flat: Record<string, unknown>[] = [];
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const t of list) {
      if (!isRecord(t)) continue;
      if (t.type === 'namespace') walk(t.tools);
      else flat.push(t);
    }
  };
  walk(tools);
  for (const item of input) if (item.type === 'additional_tools') walk(item.tools);
  return flat;
}

export function offeredTools(tools: readonly unknown[], input: readonly Item[] = []): OfferedTools {
  const all = toolsOffered(tools, input);
  const find = (type: string, name: string) => all.find((t) => t.type === type && t.name === name);
  const applyPatch = find('custom', 'apply_patch')
    ? 'custom'
    : find('function', 'apply_patch')
      ? 'function'
      : undefined;
  const command = find('function', 'exec_command') ? 'exec_command' : find('function', 'shell') ? 'shell' : undefined;
  // exec's description declares each nested tool: `declare const tools: { exec_command(args: {...`.
  const exec = find('custom', 'exec');
  const nested = new Set(
    [...String(exec?.description ?? '').matchAll(/declare const tools: \{ (\w+)\(/g)].map((m) => m[1]),
  );
  const codeMode =
    exec && (nested.has('apply_patch') || nested.has('exec_command'))
      ? { applyPatch: nested.has('apply_patch'), execCommand: nested.has('exec_command') }
      : undefined;
  return { ...(applyPatch ? { applyPatch } : {}), ...(command ? { command } : {}), ...(codeMode ? { codeMode } : {}) };
}

/** User messages Codex adds itself start with a tag (<environment_context>, <user_instructions>) or AGENTS.md. */
const isCodexContext = (text: string): boolean => /^\s*(<[a-z_]+>|# AGENTS\.md)/.test(text);

/** `tools` is the request's `tools` (what Codex offered); tests of the steps alone may leave Codex's usual set. */
export function readCodexTurn(input: readonly Item[], tools: readonly unknown[] = USUAL_CODEX_TOOLS): CodexTurn {
  const offered = offeredTools(tools, input);
  const prompts: { at: number; text: string }[] = [];
  input.forEach((item, at) => {
    if (!isMessage(item, 'user')) return;
    const text = messageText(item);
    if (!isCodexContext(text)) prompts.push({ at, text });
  });
  const last = prompts[prompts.length - 1];
  if (!last) return { prompt: '', step: 0, outputs: [], offered };
  const history = prompts.slice(0, -1).map((p) => p.text);
  // A tool output is a string or, in current Codex, a list of content parts: the texts are what the model reads.
  const outputs = input
    .slice(last.at + 1)
    .filter(isToolOutput)
    .map((o) => toolOutputText(o.output));
  return {
    prompt: last.text,
    parsed: parseCodexPrompt(last.text, history),
    step: outputs.length,
    lastOutput: outputs[outputs.length - 1],
    outputs,
    offered,
  };
}

/** The file an `omit-deliverable` fault drops: the last required one. */
export function omittableFile(turn: CodexTurn): string | undefined {
  return turn.parsed?.files.filter((f) => f.required).pop()?.path;
}

/** The file a `break-deliverable` fault breaks: a server if there is one, else the first script, else the last file. */
export function breakableFile(turn: CodexTurn): string | undefined {
  const files = turn.parsed?.files.map((f) => f.path) ?? [];
  return (
    files.find((f) => /(^|\/)server\.(c|m)?js$/.test(f)) ??
    files.find((f) => /\.((c|m)?js|sh)$/.test(f)) ??
    files[files.length - 1]
  );
}

/**
 * A deliverable written wrong, still syntactically valid so Codex's own check passes: the Bug Busters server answers
 * POST /scores with 500, any other JavaScript throws at start, a shell script exits 1.
 */
export function brokenContent(file: string, content: string): string {
  const created = /sendJson\(res, 201, [^\n]*\);/;
  if (created.test(content))
    return content.replace(created, "sendJson(res, 500, { error: 'scripted fault: not saved' });");
  if (/\.(c|m)?js$/.test(file)) return `throw new Error('scripted fault: broken deliverable');\n${content}`;
  if (file.endsWith('.sh')) {
    const [first = '', ...rest] = content.split('\n');
    const shebang = first.startsWith('#!') ? [first] : [];
    return [
      ...shebang,
      "echo 'scripted fault: broken deliverable' >&2; exit 1",
      ...(shebang.length ? rest : [first, ...rest]),
    ].join('\n');
  }
  return `${content}\nBROKEN BY A SCRIPTED FAULT\n`;
}

export interface CodexAction {
  draft: Draft;
  /** True when this answer ends Codex's turn (no tool call). */
  final: boolean;
  /** For logs: "apply_patch REQUIREMENTS.md", "exec_command", "message". */
  label: string;
}

export function codexScript(
  turn: CodexTurn,
  omitted: ReadonlySet<string> = new Set(),
  broken: ReadonlySet<string> = new Set(),
  /** Run before the check (a `command` fault): the exec waits for it as long as Codex lets a command hold the turn. */
  slowCommand?: string,
  escalate = false,
): CodexAction {
  const parsed = turn.parsed;
  // A team changing a repository (./change-script.ts): its prompts name no files to write.
  const change = parsed ? undefined : changeCodexScript(turn);
  if (change) return change;
  if (!parsed) {
    const text =
      'Scripted Codex: this prompt names no files to write, so nothing was done. ' +
      '(The scripted model only writes the files listed in a prompt from the scripted agents.)';
    return { draft: { type: 'message', text }, final: true, label: 'message' };
  }
  const planned = parsed.files.filter((f) => !omitted.has(f.path));
  const files = planned.map((f) => f.path);
  const contents = planned.map((f) => {
    const content = ensureNewline(
      fileContent(f.path, { taskList: parsed.taskList, roleTitle: parsed.roleTitle, purpose: f.purpose || undefined }),
    );
    const revised = parsed.reviewChanges ? withReviewChanges(f.path, content, parsed.reviewChanges) : content;
    return broken.has(f.path) ? ensureNewline(brokenContent(f.path, revised)) : revised;
  });
  const { applyPatch, command, codeMode } = turn.offered;
  if (!applyPatch && !command && !codeMode) {
    const text =
      'Scripted Codex: Codex offered no tool that writes files (no apply_patch, no command tool), ' +
      `so nothing was written. Not written: ${joinAnd(files)}.`;
    return { draft: { type: 'message', text }, final: true, label: 'message' };
  }
  if (turn.step < files.length) {
    const file = files[turn.step] ?? '';
    const content = contents[turn.step] ?? '';
    if (!applyPatch && !command && codeMode) {
      // apply_patch first, as outside code mode: a file is not a command.
      const script = codeMode.applyPatch
        ? applyPatchScript(addFilePatch(file, content), file)
        : execCommandScript({ cmd: writeCommand(file, content), yield_time_ms: 10_000 });
      return { draft: { type: 'custom_tool_call', name: 'exec', input: script }, final: false, label: `exec ${file}` };
    }
    const label = `${applyPatch ? 'apply_patch' : (command ?? '')} ${file}`;
    if (applyPatch === 'custom') {
      return {
        draft: { type: 'custom_tool_call', name: 'apply_patch', input: addFilePatch(file, content) },
        final: false,
        label,
      };
    }
    const args =
      applyPatch === 'function'
        ? { input: addFilePatch(file, content) }
        : commandArgs(command ?? 'exec_command', writeCommand(file, content), 10_000);
    return {
      draft: {
        type: 'function_call',
        name: applyPatch ? 'apply_patch' : (command ?? ''),
        arguments: JSON.stringify(args),
      },
      final: false,
      label,
    };
  }
  const writes = files.map((file, i) => ({
    file,
    bytes: Buffer.byteLength(contents[i] ?? ''),
    ...outcome(turn.outputs[i]),
  }));
  const written = writes.filter((w) => w.ok);
  if (turn.step === files.length && written.length > 0 && (command || codeMode?.execCommand)) {
    const check = verifyCommand(written.map((w) => w.file));
    const cmd = slowCommand ? `${slowCommand} && ${check}` : check;
    const yieldMs = slowCommand ? 30_000 : 10_000;
    const escalation = {
      sandbox_permissions: 'require_escalated',
      justification: 'Run the syntax check of the written files outside the sandbox?',
    };
    if (!command) {
      const args = { cmd, yield_time_ms: yieldMs, ...(escalate ? escalation : {}) };
      return {
        draft: { type: 'custom_tool_call', name: 'exec', input: execCommandScript(args) },
        final: false,
        label: 'exec',
      };
    }
    const base = commandArgs(command, cmd, yieldMs);
    const args = escalate && command === 'exec_command' ? { ...base, ...escalation } : base;
    return {
      draft: { type: 'function_call', name: command, arguments: JSON.stringify(args) },
      final: false,
      label: command,
    };
  }
  return { draft: { type: 'message', text: finalReport(turn, writes, escalate) }, final: true, label: 'message' };
}

interface WriteResult {
  file: string;
  bytes: number;
  ok: boolean;
  why: string;
}

/**
 * The final message, from what the tool outputs showed. The layout writtenFiles reads back: `Wrote N file(s):`
 * then one `- path (N bytes)` line per file whose write succeeded.
 */
function finalReport(turn: CodexTurn, writes: readonly WriteResult[], escalate: boolean): string {
  const written = writes.filter((w) => w.ok);
  const failed = writes.filter((w) => !w.ok);
  const lines =
    written.length > 0
      ? [`Wrote ${written.length} file(s):`, ...written.map((w) => `- ${w.file} (${w.bytes} bytes)`), '']
      : ['Wrote no files.', ''];
  if (failed.length > 0) {
    lines.push('Could not write these files:', ...failed.map((w) => `- ${w.file}: ${w.why}`), '');
  }
  const check = turn.outputs[writes.length];
  if (written.length === 0) {
    // nothing to check
  } else if (!turn.offered.command && !turn.offered.codeMode?.execCommand) {
    lines.push('Codex offered no command tool, so the files were not checked.');
  } else if (check === undefined) {
    lines.push('The files were not checked.');
  } else {
    const denied = escalate ? deniedReason(check) : undefined;
    const result = outcome(check);
    if (denied !== undefined) lines.push(`The check command was denied, so the files were not checked: ${denied}`);
    else if (result.ok) lines.push('Checked them with a syntax check and `wc -c`.');
    else lines.push(`The check failed: ${result.why}`);
  }
  return lines.join('\n').trim();
}

/**
 * Whether a tool call succeeded, from the output Codex returned for it: apply_patch says "Success. Updated the
 * following files" (after "Exit code: 0"); a command says "Process exited with code N" (exec_command) or
 * "Exit code: N" (shell); anything else ("unsupported custom tool call: apply_patch", a rejection, a command still
 * running) is not a success.
 */
export function outcome(output: string | undefined): { ok: boolean; why: string } {
  if (output === undefined) return { ok: false, why: 'no result came back' };
  const code = /(?:Process exited with code|^Exit code:) (-?\d+)/m.exec(output)?.[1];
  const firstLines = output.replace(/\s+/g, ' ').trim().slice(0, 200);
  if (code === undefined) {
    return /^Success\. Updated the following files/m.test(output)
      ? { ok: true, why: '' }
      : { ok: false, why: firstLines || 'empty output' };
  }
  const tail = /\nOutput:\n([\s\S]*)$/.exec(output)?.[1]?.replace(/\s+/g, ' ').trim().slice(0, 200);
  return code === '0' ? { ok: true, why: '' } : { ok: false, why: `exit code ${code}${tail ? `: ${tail}` : ''}` };
}

/**
 * Code mode's JavaScript for one nested `exec_command`, printing its result the way Codex words a direct call's
 * output ("Process exited with code N", then the output), so `outcome` reads both alike.
 */
function execCommandScript(args: Record<string, unknown>): string {
  return [
    `const r = await tools.exec_command(${JSON.stringify(args)});`,
    "text(`Process exited with code ${r.exit_code ?? 'unknown (still running)'}\\nOutput:\\n${r.output ?? ''}`);",
  ].join('\n');
}

/**
 * Code mode's JavaScript for one nested `apply_patch`. It answers `{}` when the patch applied and throws when it did
 * not, so the script words the outcome the way a direct call's output does ("Success. Updated the following files").
 */
function applyPatchScript(patch: string, file: string): string {
  return [
    'try {',
    `  const r = await tools.apply_patch(${JSON.stringify(patch)});`,
    `  text(\`Success. Updated the following files:\\nA ${file.replace(/[`$\\]/g, '')}\\n\${JSON.stringify(r)}\`);`,
    '} catch (e) {',
    '  text(`apply_patch failed: ${e}`);',
    '}',
  ].join('\n');
}

function commandArgs(tool: 'exec_command' | 'shell', cmd: string, yieldMs: number): Record<string, unknown> {
  return tool === 'exec_command'
    ? { cmd, yield_time_ms: yieldMs }
    : { command: ['bash', '-lc', cmd], timeout_ms: yieldMs };
}

/** A shell command that writes `content` to `file` (its directory made first) with a quoted here-document. */
export function writeCommand(file: string, content: string): string {
  let eof = 'SCRIPTED_EOF';
  while (content.split('\n').includes(eof)) eof += '_';
  const dir = file.includes('/') ? `mkdir -p ${shellQuote(file.slice(0, file.lastIndexOf('/')))} && ` : '';
  return `${dir}cat > ${shellQuote(file)} <<'${eof}'\n${ensureNewline(content)}${eof}`;
}

/** The files a scripted Codex final message (above) reports written; [] for any other text. */
export function writtenFiles(finalMessage: string): string[] {
  if (!/^Wrote \d+ file\(s\):$/m.test(finalMessage)) return [];
  return [...finalMessage.matchAll(/^- (\S+) \(\d+ bytes\)$/gm)].map((m) => m[1] ?? '');
}

/**
 * A file with the changes a review asked for worked in, so a test sees the feedback land: a section in Markdown and
 * text, a comment in code and HTML. JSON (no comments) stays as it was.
 */
export function withReviewChanges(file: string, content: string, changes: readonly string[]): string {
  const flat = changes.map((c) => c.replace(/\s+/g, ' ').trim());
  if (/\.json$/.test(file)) return content;
  if (/\.html?$/.test(file)) {
    const notes = flat.map((c) => `<!-- Review: ${c.replace(/--/g, '- -')} -->`).join('\n');
    return content.includes('</body>') ? content.replace('</body>', `${notes}\n</body>`) : `${content}${notes}\n`;
  }
  if (/\.((c|m)?js|ts|css)$/.test(file)) {
    return `${content}${flat.map((c) => `/* Review: ${c.replace(/\*\//g, '* /')} */`).join('\n')}\n`;
  }
  if (/\.(sh|py|ya?ml|toml)$/.test(file)) return `${content}${flat.map((c) => `# Review: ${c}`).join('\n')}\n`;
  return `${content}\n## Changes from review\n\n${flat.map((c) => `- ${c}`).join('\n')}\n`;
}

/** The rejection Codex reported for a denied command, if the output says it was denied. */
function deniedReason(output: string | undefined): string | undefined {
  if (!output || !/rejected|denied|declined/i.test(output)) return undefined;
  return output.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function addFilePatch(file: string, content: string): string {
  const lines = content.endsWith('\n') ? content.slice(0, -1).split('\n') : content.split('\n');
  return `*** Begin Patch\n*** Add File: ${file}\n${lines.map((l) => `+${l}`).join('\n')}\n*** End Patch\n`;
}

const ensureNewline = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function verifyCommand(files: readonly string[]): string {
  const checks = [
    ...files.filter((f) => /\.(c|m)?js$/.test(f)).map((f) => `node --check ${shellQuote(f)}`),
    ...files.filter((f) => f.endsWith('.sh')).map((f) => `bash -n ${shellQuote(f)}`),
    `wc -c ${files.map(shellQuote).join(' ')}`,
  ];
  return checks.join(' && ');
}
