/**
 * The script the scripted model plays for Codex itself. Codex sends the whole thread each time, so the step
 * follows from the input: after our prompt (the last user message Codex did not generate), count the tool outputs.
 *   step i < files  -> `apply_patch` "*** Add File" for file i (Codex 0.153.4 overwrites an existing file with it)
 *   step = files    -> one `exec_command` that checks the work (node --check, bash -n, wc -c), after a `command`
 *                      fault's command if one fired; with `escalate` (the `needs-approval` fault) it asks to run
 *                      outside the sandbox, so Codex asks for approval
 *   then            -> a final assistant message listing the files (and saying so when the check was denied)
 */
import { fileContent } from './content';
import { parseCodexPrompt, type ParsedCodexPrompt } from './codex-prompt';
import type { Draft } from './responses';
import { isMessage, isToolOutput, messageText, type Item } from './text';

export interface CodexTurn {
  /** Our prompt: the latest user message that is not context Codex added itself. */
  prompt: string;
  parsed?: ParsedCodexPrompt;
  /** Tool outputs after the prompt: 0 on the turn's first request. */
  step: number;
  /** The text of the latest tool output (what Codex told its model about the last tool call). */
  lastOutput?: string;
}

/** User messages Codex adds itself start with a tag (<environment_context>, <user_instructions>) or AGENTS.md. */
const isCodexContext = (text: string): boolean => /^\s*(<[a-z_]+>|# AGENTS\.md)/.test(text);

export function readCodexTurn(input: readonly Item[]): CodexTurn {
  const prompts: { at: number; text: string }[] = [];
  input.forEach((item, at) => {
    if (!isMessage(item, 'user')) return;
    const text = messageText(item);
    if (!isCodexContext(text)) prompts.push({ at, text });
  });
  const last = prompts[prompts.length - 1];
  if (!last) return { prompt: '', step: 0 };
  const history = prompts.slice(0, -1).map((p) => p.text);
  const outputs = input.slice(last.at + 1).filter(isToolOutput);
  const lastOut = outputs[outputs.length - 1]?.output;
  return {
    prompt: last.text,
    parsed: parseCodexPrompt(last.text, history),
    step: outputs.length,
    lastOutput: typeof lastOut === 'string' ? lastOut : lastOut === undefined ? undefined : JSON.stringify(lastOut),
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
  if (turn.step < files.length) {
    const file = files[turn.step] ?? '';
    const input = addFilePatch(file, contents[turn.step] ?? '');
    return {
      draft: { type: 'custom_tool_call', name: 'apply_patch', input },
      final: false,
      label: `apply_patch ${file}`,
    };
  }
  if (turn.step === files.length && files.length > 0) {
    const cmd = slowCommand ? `${slowCommand} && ${verifyCommand(files)}` : verifyCommand(files);
    const yieldMs = slowCommand ? 30_000 : 10_000;
    const args = JSON.stringify(
      escalate
        ? {
            cmd,
            yield_time_ms: yieldMs,
            sandbox_permissions: 'require_escalated',
            justification: 'Run the syntax check of the written files outside the sandbox?',
          }
        : { cmd, yield_time_ms: yieldMs },
    );
    return {
      draft: { type: 'function_call', name: 'exec_command', arguments: args },
      final: false,
      label: 'exec_command',
    };
  }
  const lines = files.map((f, i) => `- ${f} (${Buffer.byteLength(contents[i] ?? '')} bytes)`);
  // The layout writtenFiles reads back: `Wrote N file(s):` then one `- path (N bytes)` line each.
  const denied = escalate ? deniedReason(turn.lastOutput) : undefined;
  const checked =
    denied !== undefined
      ? `The check command was denied, so the files were not checked: ${denied}`
      : 'Checked them with a syntax check and `wc -c`.';
  const text = [`Wrote ${files.length} file(s):`, ...lines, '', checked].join('\n');
  return { draft: { type: 'message', text }, final: true, label: 'message' };
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
