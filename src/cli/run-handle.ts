/**
 * What the CLIs that decide for a running run share (review, and the approvals and cancel commands): the run's
 * handle on the configured Temporal, its state from the `progress` query, who decides, and decisions the workflow
 * refused turned into one clear line.
 */
import os from 'node:os';
import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { connectClient } from '../config/temporal-connection';
import { ConfigError } from '../shared/errors';
import type { RunState } from '../shared/types';
import { progressQuery } from '../shared/progress';

export interface OpenRun {
  handle: WorkflowHandle;
  /** The run's state; needs a worker to answer the query. */
  state(): Promise<RunState>;
  close(): Promise<void>;
}

/** Connects and checks that the run exists. */
export async function openRun(workflowId: string): Promise<OpenRun> {
  const { connection, namespace } = await connectClient();
  const client = new Client({ connection, namespace });
  const handle = client.workflow.getHandle(workflowId);
  try {
    await handle.describe();
  } catch (err) {
    await connection.close();
    if (err instanceof WorkflowNotFoundError) throw new ConfigError(`No run ${workflowId} in namespace ${namespace}`);
    throw err;
  }
  return {
    handle,
    state: async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ConfigError(noWorker(workflowId))), 10_000);
      });
      try {
        return await Promise.race([handle.query(progressQuery), timeout]);
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError(`${noWorker(workflowId)} (${err instanceof Error ? err.message : String(err)})`);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => connection.close(),
  };
}

const noWorker = (id: string) => `No worker answered the progress query of ${id}: is \`npm run worker\` running?`;

/** `user@host`: recorded with every decision. */
export function whoDecides(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}

/** An Update the workflow refused (its validator's message) or could not take (the run closed), as one line. */
export function rejection(what: string) {
  return (err: unknown): never => {
    if (err instanceof WorkflowUpdateFailedError) {
      throw new ConfigError(`${what} refused: ${err.cause?.message ?? err.message}`);
    }
    if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test(String(err))) {
      throw new ConfigError(
        `${what} refused: the run is not running (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    throw err;
  };
}
