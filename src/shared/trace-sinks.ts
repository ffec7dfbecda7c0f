/**
 * The sink through which a run's workflow tells the worker what only the workflow knows (its roles' spans, the DAG
 * edges, reviews and approvals) for the OpenAI Traces export (src/tracing/). Sinks are not called when a workflow
 * replays, so a restarted worker does not emit a run's spans again; every worker registers it, a no-op when off.
 */
import type { Sinks } from '@temporalio/workflow';
import type { RunState } from './types';

/** The team as the trace needs it: titles and edges. */
export interface TraceTeam {
  name: string;
  roles: { id: string; title: string; after: string[]; tools: string[] }[];
}

export interface TraceSinks extends Sinks {
  traces: {
    /** The run started: its trace object. */
    runStarted(team: TraceTeam): void;
    /** The run ended, however it ended: its roles, handoffs, reviews and approvals. */
    runEnded(team: TraceTeam, state: RunState): void;
  };
}
