/**
 * The models the scripted model answers as, with the family the real API puts them in. A request naming any other
 * model gets the real API's 404 `model_not_found`, so a typo in AGENT_MODEL fails in tests as it would for users.
 */

export interface CatalogModel {
  id: string;
  reasoning: boolean;
  created: number;
}

const REASONING = [
  'gpt-5',
  'gpt-5-mini',
  'gpt-5-nano',
  'gpt-5-codex',
  'gpt-5.1',
  'gpt-5.1-codex',
  'gpt-5.1-codex-mini',
  'gpt-5.2',
  'gpt-5.2-codex',
  'o3',
  'o3-mini',
  'o4-mini',
  'codex-mini-latest',
  // What Codex 0.153.4 asks for by default (and its siblings), so a run that leaves CODEX_MODEL unset works.
  'gpt-5.1-codex-max',
  'gpt-5.6',
  // In Codex 0.171's bundled model catalogue (`codex debug models`), which the app-server transport runs.
  'gpt-5.5',
  'gpt-5.6-sol',
  'gpt-5.6-luna',
  'gpt-5.6-terra',
  'gpt-6-astra',
];
const NON_REASONING = ['gpt-5-chat-latest', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o', 'gpt-4o-mini'];

const CREATED = 1_754_000_000;

export const MODEL_CATALOG: ReadonlyMap<string, CatalogModel> = new Map(
  [...REASONING.map((id) => ({ id, reasoning: true })), ...NON_REASONING.map((id) => ({ id, reasoning: false }))].map(
    (m) => [m.id, { ...m, created: CREATED }],
  ),
);

/** A dated snapshot (`gpt-4.1-2025-04-14`) is its base model. */
export function lookupModel(id: string): CatalogModel | undefined {
  return MODEL_CATALOG.get(id) ?? MODEL_CATALOG.get(id.replace(/-\d{4}-\d{2}-\d{2}$/, ''));
}

/** The model object of `GET /v1/models/{id}`. */
export function modelObject(m: CatalogModel): Record<string, unknown> {
  return { id: m.id, object: 'model', created: m.created, owned_by: 'system' };
}
