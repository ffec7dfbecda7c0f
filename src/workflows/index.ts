export { multiAgentWorkflow } from './multi-agent';
export { singleAgentWorkflow } from './single-agent';
export { progressQuery } from './state';
