/**
 * Where the MCP server finds the model credential, the way Codex finds its own: MCP clients start stdio servers with a
 * minimal environment (the Python MCP SDK passes only HOME, PATH, SHELL, USER, LOGNAME, TERM), so the environment alone
 * is not enough. In order:
 *   1. OPENAI_API_KEY (and OPENAI_BASE_URL) in the environment;
 *   2. the user's Codex login: `$CODEX_HOME/auth.json`, else `~/.codex/auth.json`, its `OPENAI_API_KEY` field
 *      (a ChatGPT sign-in without an API key is not usable here);
 *   3. the config file `$DCA_CONFIG`, else `$XDG_CONFIG_HOME/durable-codex-agents/config.json`
 *      (default `~/.config/durable-codex-agents/config.json`): `{ "OPENAI_API_KEY": "...", "OPENAI_BASE_URL": "..." }`.
 * None: the scripted model stands in, and every tool result says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../shared/errors';

export interface ModelCredential {
  apiKey: string;
  baseUrl?: string;
  /** Where it was found, for the start-up line on stderr (never the key itself). */
  source: string;
}

const KeyFileSchema = z.object({ OPENAI_API_KEY: z.string().nullish(), OPENAI_BASE_URL: z.url().nullish() }).loose();

export function configFilePath(env: NodeJS.ProcessEnv, home = os.homedir()): string {
  if (env.DCA_CONFIG) return path.resolve(env.DCA_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(home, '.config');
  return path.join(base, 'durable-codex-agents', 'config.json');
}

export function codexAuthFile(env: NodeJS.ProcessEnv, home = os.homedir()): string {
  return path.join(env.CODEX_HOME || path.join(home, '.codex'), 'auth.json');
}

export function findCredential(env: NodeJS.ProcessEnv, home = os.homedir()): ModelCredential | undefined {
  if (env.OPENAI_API_KEY) {
    return {
      apiKey: env.OPENAI_API_KEY,
      ...(env.OPENAI_BASE_URL && { baseUrl: env.OPENAI_BASE_URL }),
      source: 'the environment (OPENAI_API_KEY)',
    };
  }
  for (const [file, what] of [
    [codexAuthFile(env, home), 'the Codex login'],
    [configFilePath(env, home), 'the config file'],
  ] as const) {
    const found = readKeyFile(file);
    if (found?.OPENAI_API_KEY) {
      return {
        apiKey: found.OPENAI_API_KEY,
        ...(found.OPENAI_BASE_URL && { baseUrl: found.OPENAI_BASE_URL }),
        source: `${what} ${file}`,
      };
    }
  }
  return undefined;
}

function readKeyFile(file: string): z.infer<typeof KeyFileSchema> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON`, { cause: err });
  }
  const parsed = KeyFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
