/**
 * The `progress` query: a run's RunState. Defined here, outside the workflow code, so the CLI, activities and tests
 * ask it by this one definition (the workflow registers its handler in workflows/run.ts).
 */
import { defineQuery } from '@temporalio/workflow';
import type { RunState } from './types';

export const progressQuery = defineQuery<RunState>('progress');
