/** Small records the payloads of ./types and ./people both carry (kept apart so neither imports the other). */

export interface TokenUsage {
  input: number;
  output: number;
  reasoning: number;
  total: number;
}

export const ZERO_USAGE: TokenUsage = { input: 0, output: 0, reasoning: 0, total: 0 };

export interface FileRecord {
  path: string;
  size: number;
  sha256: string;
}
