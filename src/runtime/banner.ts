/** The loud notice printed wherever the scripted model stands in for a real LLM. */
export const SCRIPTED_BANNER = (baseUrl: string): string =>
  [
    '================================================================================',
    ' SCRIPTED MODEL: no OPENAI_API_KEY is set, so a deterministic script plays every',
    ' agent and drives the real Codex binary. Set OPENAI_API_KEY to use a real model.',
    ` Endpoint: ${baseUrl}`,
    '================================================================================',
  ].join('\n');
