export { teamWorkflow } from './team';
export { multiAgentWorkflow } from './multi-agent';
export { singleAgentWorkflow } from './single-agent';
export { progressQuery } from './run-state';
export { codexSessionWorkflow } from './codex-session';
