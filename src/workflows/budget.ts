/**
 * Budgets: tokens per run (agents' model turns + Codex) and model turns per role. Checked before every model turn
 * and every Codex call: once a budget is spent the run stops before the next call, with a BudgetExceededError that
 * gives the totals, or (`onExceeded: wait`) waits until a `raiseBudget` Update raises the limit. A call already
 * running finishes: its tokens are known only when it ends.
 */
import { setHandler, type ApplicationFailure } from '@temporalio/workflow';
import { BudgetExceededError, workflowFailure } from '../shared/errors';
import { raiseBudgetUpdate, type BudgetOptions, type BudgetStop, type RaiseBudgetInput } from '../shared/people';
import { ZERO_USAGE, type RunState, type StepState, type TokenUsage } from '../shared/types';
import {
  addUsage,
  budgetCounted,
  budgetRaised,
  budgetSet,
  budgetStopped,
  budgetWaitEnded,
  waitUntil,
} from './run-state';

export class Budget {
  constructor(
    private readonly state: RunState,
    private readonly options: BudgetOptions | undefined,
    /** How long a stopped run waits for a raise (the run's review timeout); unset: for ever. */
    private readonly waitMs?: number,
  ) {
    if (options?.maxTokens !== undefined || options?.maxTurnsPerRole !== undefined) {
      budgetSet(state, {
        ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
        ...(options.maxTurnsPerRole !== undefined ? { maxTurnsPerRole: options.maxTurnsPerRole } : {}),
        used: { ...ZERO_USAGE },
        raises: [],
      });
    }
    setHandler(raiseBudgetUpdate, (input) => this.raise(input), { validator: (input) => this.validate(input) });
  }

  /** Before a model turn of `step`: its turns and the run's tokens. */
  beforeModelTurn(step: StepState): Promise<void> {
    return this.check(step, true);
  }

  /** Before a Codex call of `step`: the run's tokens. */
  beforeCodexCall(step: StepState): Promise<void> {
    return this.check(step, false);
  }

  private async check(step: StepState, turn: boolean): Promise<void> {
    const budget = this.state.budget;
    if (!budget) return;
    let stop = this.spent(step, turn);
    if (!stop) return;
    if (this.options?.onExceeded !== 'wait') throw this.exceeded(stop);
    // Concurrent roles may stop on the same budget: the first one to stop shows it, a raise lets every one go on.
    budgetStopped(this.state, budget, stop);
    const raised = await waitUntil(() => this.spent(step, turn) === undefined, this.waitMs);
    stop = this.spent(step, turn);
    if (!raised && stop) {
      budgetWaitEnded(this.state, budget, false);
      throw this.exceeded(stop);
    }
    budgetWaitEnded(this.state, budget, true);
  }

  /** The budget this call would overspend, if any. */
  private spent(step: StepState, turn: boolean): BudgetStop | undefined {
    const budget = this.state.budget;
    if (!budget) return undefined;
    budgetCounted(budget, this.used());
    if (budget.maxTokens !== undefined && budget.used.total >= budget.maxTokens) {
      return { what: 'tokens', limit: budget.maxTokens, used: budget.used.total, since: Date.now() };
    }
    if (turn && budget.maxTurnsPerRole !== undefined && step.modelTurns >= budget.maxTurnsPerRole) {
      return {
        what: 'turns',
        role: step.role,
        limit: budget.maxTurnsPerRole,
        used: step.modelTurns,
        since: Date.now(),
      };
    }
    return undefined;
  }

  private used(): TokenUsage {
    const total = { ...ZERO_USAGE };
    for (const s of this.state.steps) {
      addUsage(total, s.modelUsage);
      addUsage(total, s.codexUsage);
    }
    return total;
  }

  private exceeded(stop: BudgetStop): ApplicationFailure {
    const totals = this.totals();
    const what =
      stop.what === 'tokens'
        ? `token budget spent: ${stop.used} of ${stop.limit} tokens`
        : `turn budget of ${stop.role ?? '?'} spent: ${stop.used} of ${stop.limit} model turns`;
    const message =
      `The run stopped before its next call, ${what}. Totals: ${totals.tokens} tokens (agents ${totals.agentTokens}, ` +
      `Codex ${totals.codexTokens}), ${totals.turns} model turns, ${totals.codexCalls} Codex calls. ` +
      'Start it with --budget-wait to wait for `npm run review -- <id> --raise-budget N` instead.';
    return workflowFailure(new BudgetExceededError(message, { ...stop, ...totals }));
  }

  private totals() {
    const sum = (f: (s: StepState) => number) => this.state.steps.reduce((n, s) => n + f(s), 0);
    const agentTokens = sum((s) => s.modelUsage.total);
    const codexTokens = sum((s) => s.codexUsage.total);
    return {
      tokens: agentTokens + codexTokens,
      agentTokens,
      codexTokens,
      turns: sum((s) => s.modelTurns),
      codexCalls: sum((s) => s.codexCalls.length),
    };
  }

  private validate(input: RaiseBudgetInput): void {
    const budget = this.state.budget;
    if (!budget) throw new Error('This run has no budget (start it with --max-tokens N or --max-turns N)');
    if (!input || typeof input !== 'object') throw new Error('A raise is an object');
    if (typeof input.by !== 'string' || input.by.trim() === '') throw new Error('Say who raises the budget (by)');
    const positive = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
    if (input.tokens === undefined && input.turns === undefined) throw new Error('Say what to raise: tokens or turns');
    if (input.tokens !== undefined && !positive(input.tokens)) throw new Error('A token raise is a positive integer');
    if (input.turns !== undefined && !positive(input.turns)) throw new Error('A turn raise is a positive integer');
    if (input.tokens !== undefined && budget.maxTokens === undefined) {
      throw new Error('This run has no token budget to raise');
    }
    if (input.turns !== undefined && budget.maxTurnsPerRole === undefined) {
      throw new Error('This run has no turn budget to raise');
    }
  }

  private raise(input: RaiseBudgetInput) {
    const budget = this.state.budget;
    if (!budget) throw new Error('This run has no budget');
    return budgetRaised(this.state, budget, input);
  }
}
