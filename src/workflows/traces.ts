/** The run's trace events, through the `traces` sink (src/shared/trace-sinks.ts): no commands, nothing on replay. */
import { proxySinks } from '@temporalio/workflow';
import type { Team } from '../shared/team';
import type { TraceSinks, TraceTeam } from '../shared/trace-sinks';
import type { RunState } from '../shared/types';

const { traces } = proxySinks<TraceSinks>();

const traceTeam = (team: Team): TraceTeam => ({
  name: team.name,
  roles: team.roles.map((r) => ({ id: r.id, title: r.title, after: [...r.after], tools: [...r.tools] })),
});

export function traceRunStarted(team: Team): void {
  traces.runStarted(traceTeam(team));
}

export function traceRunEnded(team: Team, state: RunState): void {
  traces.runEnded(traceTeam(team), state);
}
