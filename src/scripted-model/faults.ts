/**
 * Fault injection. A rule matches requests by kind, role, run and turn; from its `nth` match on it fires
 * `times` times. Effects: an HTTP error status (429 with Retry-After, 500, 401, ...), a broken stream, a hang,
 * extra latency, or (Codex only) a deliverable the scripted Codex silently skips or writes broken, a long command, or a
 * check command that asks for approval.
 */
import { z } from 'zod';
import type { CallerKind } from './classify';
import { PadSchema, type Pad } from './padding';

export const FaultEffectSchema = z.union([
  z.literal('broken-stream'),
  z.literal('hang'),
  z.literal('omit-deliverable'),
  /** Codex writes one deliverable broken (a server whose POST answers 500, a script that exits 1); a later write is right. */
  z.literal('break-deliverable'),
  /** Codex runs its check command with `sandbox_permissions: require_escalated`, so it asks for approval (on-request). */
  z.literal('needs-approval'),
  z.object({
    status: z.number().int().min(400).max(599),
    retryAfterSeconds: z.number().nonnegative().optional(),
    message: z.string().optional(),
  }),
  z.object({ latencyMs: z.number().int().nonnegative() }),
  /**
   * Codex runs this shell command (e.g. `sleep 120`) before its check, after writing its files: a call that lasts
   * until the command ends, with a live process in the workspace (to cancel a call mid-command).
   */
  z.object({ command: z.string().min(1) }),
  /** Answers padded to a real model's sizes, a role that talks for `turns` model turns (./padding.ts). */
  z.object({ pad: PadSchema }),
]);
export type FaultEffect = z.infer<typeof FaultEffectSchema>;

export const FaultRuleSchema = z.object({
  kind: z.enum(['agent', 'codex']).optional(),
  role: z.string().optional(),
  run: z.string().optional(),
  /**
   * Agent: the model turn within the role's conversation (1 + model outputs already in the input).
   * Codex: the request within one Codex turn (1 = the first, right after our prompt).
   */
  turn: z.number().int().positive().optional(),
  /** Fire from the nth matching request on (default 1). */
  nth: z.number().int().positive().optional(),
  /** How many matching requests it fires on (default 1); "always" for every one. */
  times: z.union([z.number().int().positive(), z.literal('always')]).optional(),
  effect: FaultEffectSchema,
});
export type FaultRule = z.infer<typeof FaultRuleSchema>;

/** A POST /_scripted/faults body: an array of rules or `{ rules: [...] }`. */
export const FaultRulesBodySchema = z.union([
  z.array(FaultRuleSchema),
  z.object({ rules: z.array(FaultRuleSchema) }).transform((b) => b.rules),
]);

export interface FaultTarget {
  kind: CallerKind;
  role: string | undefined;
  run: string;
  turn: number;
}

/** What the faults decided for one request. */
export interface FaultDecision {
  /** A terminal effect: the request fails this way instead of being answered. */
  failure?: Exclude<
    FaultEffect,
    | 'omit-deliverable'
    | 'break-deliverable'
    | 'needs-approval'
    | { latencyMs: number }
    | { command: string }
    | { pad: Pad }
  >;
  extraLatencyMs: number;
  omitDeliverable: boolean;
  breakDeliverable: boolean;
  needsApproval: boolean;
  /** A command the scripted Codex runs before its check in this turn. */
  command?: string;
  /** Sizes and length of the answer (./padding.ts). */
  pad?: Pad;
  /** Human-readable labels of the rules that fired, for the request log. */
  fired: string[];
}

export interface FaultRuleState {
  rule: FaultRule;
  matched: number;
  fired: number;
}

export const describeEffect = (e: FaultEffect): string =>
  typeof e === 'string'
    ? e
    : 'status' in e
      ? `status ${e.status}`
      : 'command' in e
        ? `command ${e.command}`
        : 'pad' in e
          ? `pad ${JSON.stringify(e.pad)}`
          : `latency ${e.latencyMs}ms`;

export class FaultBook {
  private states: FaultRuleState[] = [];

  set(rules: readonly FaultRule[]): void {
    this.states = rules.map((rule) => ({ rule, matched: 0, fired: 0 }));
  }

  list(): FaultRuleState[] {
    return this.states.map((s) => ({ ...s }));
  }

  /** Counts the request against every matching rule and returns the effects that fire. */
  decide(t: FaultTarget): FaultDecision {
    const decision: FaultDecision = {
      extraLatencyMs: 0,
      omitDeliverable: false,
      breakDeliverable: false,
      needsApproval: false,
      fired: [],
    };
    for (const s of this.states) {
      const r = s.rule;
      if (!matches(r, t)) continue;
      s.matched += 1;
      const limit = r.times === 'always' ? Infinity : (r.times ?? 1);
      if (s.matched < (r.nth ?? 1) || s.fired >= limit) continue;
      const e = r.effect;
      if (e === 'omit-deliverable') {
        decision.omitDeliverable = true;
      } else if (e === 'break-deliverable') {
        decision.breakDeliverable = true;
      } else if (typeof e === 'object' && 'command' in e) {
        decision.command = e.command;
      } else if (e === 'needs-approval') {
        decision.needsApproval = true;
      } else if (typeof e === 'object' && 'pad' in e) {
        decision.pad = { ...decision.pad, ...e.pad };
      } else if (typeof e === 'object' && 'latencyMs' in e) {
        decision.extraLatencyMs += e.latencyMs;
      } else if (decision.failure === undefined) {
        decision.failure = e;
      } else {
        continue; // one failure per request; a later rule keeps its turn
      }
      s.fired += 1;
      decision.fired.push(describeEffect(e));
    }
    return decision;
  }
}

function matches(r: FaultRule, t: FaultTarget): boolean {
  // Skipping or breaking a deliverable, a long command, or asking for approval, is decided once per Codex turn, on its
  // first request.
  const perTurn =
    r.effect === 'omit-deliverable' ||
    r.effect === 'break-deliverable' ||
    r.effect === 'needs-approval' ||
    (typeof r.effect === 'object' && 'command' in r.effect);
  if (perTurn && (t.kind !== 'codex' || t.turn !== 1)) return false;
  return (
    (r.kind === undefined || r.kind === t.kind) &&
    (r.role === undefined || r.role === t.role) &&
    (r.run === undefined || r.run === t.run) &&
    (r.turn === undefined || r.turn === t.turn)
  );
}
