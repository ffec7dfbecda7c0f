/**
 * One cheap authenticated call to the model endpoint (`GET /models/{id}`) that tells a bad key, an unknown model
 * and an unreachable endpoint apart. `npm run doctor` prints it; the worker refuses to start on a bad key or model
 * instead of failing the first run.
 */
import OpenAI from 'openai';
import type { ModelSettings } from '../config/settings';
import { redactSecret } from '../activities/model-turn';
import { ConfigError } from '../shared/errors';

export type ModelCheckStatus =
  /** The endpoint knows the key and the model. */
  | 'ok'
  /** 401/403: the key is wrong or lacks access. */
  | 'bad-key'
  /** 404 model_not_found. */
  | 'unknown-model'
  /** No answer: DNS, refused, timeout, TLS. */
  | 'unreachable'
  /** An answer we cannot judge (a Responses endpoint without /models, a 5xx). */
  | 'inconclusive';

export interface ModelCheck {
  status: ModelCheckStatus;
  model: string;
  /** One line for people; never contains the key. */
  detail: string;
}

/** Statuses that mean a run would fail on its first model call, whatever Temporal retries. */
export const FATAL_MODEL_CHECKS: readonly ModelCheckStatus[] = ['bad-key', 'unknown-model'];

export async function checkModel(settings: ModelSettings, model: string, timeoutMs = 10_000): Promise<ModelCheck> {
  const endpoint = settings.baseUrl ?? 'https://api.openai.com/v1';
  const client = new OpenAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl, maxRetries: 0, timeout: timeoutMs });
  try {
    const found = await client.models.retrieve(model);
    return { status: 'ok', model, detail: `${endpoint} knows model ${found.id} and accepts the key` };
  } catch (raw) {
    const err = redactSecret(raw, settings.apiKey);
    if (err instanceof OpenAI.APIConnectionError) {
      const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { status: 'unreachable', model, detail: `cannot reach ${endpoint} (network error${cause})` };
    }
    if (err instanceof OpenAI.APIError && err.status !== undefined) {
      if (err.status === 401 || err.status === 403) {
        return {
          status: 'bad-key',
          model,
          detail: `${endpoint} rejected the key (${err.status}): check OPENAI_API_KEY (and OPENAI_BASE_URL)`,
        };
      }
      if (err.status === 404 && err.code === 'model_not_found') {
        return { status: 'unknown-model', model, detail: `${endpoint} has no model "${model}" (404 model_not_found)` };
      }
      return {
        status: 'inconclusive',
        model,
        detail: `${endpoint} answered ${err.status} to GET /models/${model}; runs will show whether it works`,
      };
    }
    return { status: 'unreachable', model, detail: `cannot reach ${endpoint}: ${String(err)}` };
  }
}

/**
 * The start-up check of `npm run worker` and `npm run demo`: a bad key or an unknown agent model stops them at once
 * (every run would fail on its first turn); an endpoint that does not answer is only reported, since Temporal retries
 * model calls when it comes back.
 */
export async function assertModelUsable(settings: ModelSettings, warn: (line: string) => void): Promise<void> {
  const check = await checkModel(settings, settings.defaultModel);
  if (FATAL_MODEL_CHECKS.includes(check.status)) throw new ConfigError(`Model check failed: ${check.detail}`);
  if (check.status !== 'ok') warn(`warning: model check: ${check.detail}`);
}
