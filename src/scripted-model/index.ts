/**
 * The scripted model: an OpenAI-compatible Responses endpoint that plays a fixed, deterministic script for every
 * agent role and for Codex itself, so the whole pipeline runs offline with the real Codex binary. It is NOT an LLM.
 */
export {
  startScriptedModel,
  SCRIPTED_HEADER,
  type Latency,
  type ScriptedModel,
  type ScriptedModelOptions,
} from './server';
export { FaultRuleSchema, FaultRulesBodySchema, type FaultEffect, type FaultRule, type FaultRuleState } from './faults';
export { fingerprint, repeatedCompletions, type RequestLogEntry, type ScriptedStats } from './stats';
export { GAME_DESIGNER_BRIEF } from './agent-script';
export { CODEX_FILES_HEADER, codexPrompt, parseCodexPrompt } from './codex-prompt';
export { BUG_BUSTERS_FILES, fileContent } from './content';
export type { CallerKind } from './classify';
