/** What every content generator gets: the task's facts, and who the file is for and why. */
import type { TaskFacts } from './task';

export interface ContentContext {
  facts: TaskFacts;
  taskList: string;
  /** Title of the role the file is for, and what the file is for, when the prompt says. */
  roleTitle?: string;
  purpose?: string;
}
