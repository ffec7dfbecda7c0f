/**
 * How Codex's approval requests (`approval-policy: on-request`) are answered: commands that run inside the
 * call's workspace and patches whose every file is inside it are approved; everything else is denied with a
 * reason Codex passes on to its model. The answer is always given, never left pending.
 */
import path from 'node:path';
import type { CodexElicitation, ReviewDecision } from './transport';

export interface ApprovalRecord {
  kind: string;
  decision: ReviewDecision;
  command?: string[];
  cwd?: string;
  files?: string[];
}

export function approvalPolicy(workspace: string, onDecision?: (record: ApprovalRecord) => void) {
  const root = path.resolve(workspace);
  return (request: CodexElicitation): ReviewDecision => {
    const kind = request.codex_elicitation ?? 'unknown';
    let decision: ReviewDecision;
    let files: string[] | undefined;
    if (kind === 'exec-approval') {
      const cwd = request.codex_cwd ? path.resolve(root, request.codex_cwd) : undefined;
      decision =
        cwd && isInside(root, cwd)
          ? 'approved'
          : deny(
              `Commands may only run inside the workspace ${root}; this one runs in ${cwd ?? 'an unknown directory'}.`,
            );
    } else if (kind === 'patch-approval') {
      files = changedPaths(request.codex_changes).map((f) => path.resolve(root, f));
      const outside = files.filter((f) => !isInside(root, f));
      decision =
        files.length === 0
          ? deny('The patch names no files.')
          : outside.length === 0
            ? 'approved'
            : deny(`Only files inside the workspace ${root} may be changed; not ${outside.join(', ')}.`);
    } else {
      decision = deny(`Unknown approval request "${kind}".`);
    }
    onDecision?.({ kind, decision, command: request.codex_command, cwd: request.codex_cwd, files });
    return decision;
  };
}

function deny(rejection: string): ReviewDecision {
  return { denied: { rejection } };
}

/** Keys of `codex_changes`, plus the destination of moves. */
function changedPaths(changes: Record<string, unknown> | undefined): string[] {
  if (!changes) return [];
  const out: string[] = [];
  for (const [file, change] of Object.entries(changes)) {
    out.push(file);
    const move = (change as { move_path?: unknown } | null)?.move_path;
    if (typeof move === 'string') out.push(move);
  }
  return out;
}

export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}
