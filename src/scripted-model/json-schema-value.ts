/**
 * A deterministic value that validates against a JSON Schema: what the scripted model answers for structured outputs
 * (`text.format` json_schema) and for the arguments of a tool it is forced to call (`tool_choice`). It covers the
 * subset Structured Outputs accepts (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas):
 * objects (properties, required, additionalProperties), arrays (items, minItems, maxItems), strings (enum, const,
 * minLength, maxLength, format), numbers and integers (minimum, maximum, exclusive bounds, multipleOf), booleans,
 * null, anyOf, allOf, `$ref` to `#/$defs/...` or `#/definitions/...` (recursion stops at the first branch that needs
 * none), plus `type` lists, oneOf and prefixItems. Strings take a plausible value from the field's name where it
 * says what it holds (a summary gets the script's answer, a title the project's name). Not covered: `pattern` (a
 * string that matches an arbitrary regular expression) and `uniqueItems` beyond what enums and names vary.
 */
import { isRecord } from './text';

type Schema = Record<string, unknown>;

/** Texts the script would have said, for string fields whose names ask for them. */
export interface ValueHints {
  /** The script's answer in prose: summaries, descriptions, answers, prompts. */
  text: string;
  /** A short name: titles, names. */
  name: string;
}

const MAX_DEPTH = 12;

export function valueForSchema(schema: unknown, hints: ValueHints): unknown {
  const root = isRecord(schema) ? schema : {};
  return new Generator(root, hints).value(root, '', 0);
}

class Generator {
  constructor(
    private readonly root: Schema,
    private readonly hints: ValueHints,
  ) {}

  value(schema: Schema, key: string, depth: number, index = 0): unknown {
    const s = this.resolve(schema);
    if ('const' in s) return s.const;
    if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[index % s.enum.length];
    const branches = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : []).filter(isRecord);
    if (branches.length > 0) {
      // Prefer a branch that is not null and, deep down, one that cannot recurse further.
      const pick =
        depth >= MAX_DEPTH
          ? (branches.find((b) => this.resolve(b).type === 'null') ?? branches[0])
          : (branches.find((b) => this.resolve(b).type !== 'null') ?? branches[0]);
      return this.value({ ...withoutKeys(s, ['anyOf', 'oneOf']), ...this.resolve(pick ?? {}) }, key, depth + 1, index);
    }
    if (Array.isArray(s.allOf)) {
      const merged = s.allOf.filter(isRecord).reduce<Schema>((acc, part) => mergeSchemas(acc, this.resolve(part)), {});
      return this.value({ ...withoutKeys(s, ['allOf']), ...merged }, key, depth + 1, index);
    }
    const type = typeOf(s);
    switch (type) {
      case 'object':
        return this.object(s, depth);
      case 'array':
        return this.array(s, key, depth);
      case 'string':
        return this.string(s, key, index);
      case 'integer':
      case 'number':
        return number(s, type, index);
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return this.string(s, key, index);
    }
  }

  private object(s: Schema, depth: number): Record<string, unknown> {
    const properties = isRecord(s.properties) ? s.properties : {};
    const out: Record<string, unknown> = {};
    // Every declared property: strict mode requires them all, and any property validates in the other modes.
    for (const [name, sub] of Object.entries(properties)) {
      out[name] = this.value(isRecord(sub) ? sub : {}, name, depth + 1);
    }
    // A required name without a schema of its own (allowed outside strict mode): any value will do.
    const required = Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : [];
    for (const name of required) if (!(name in out)) out[name] = this.value(extra(s), name, depth + 1);
    const min = typeof s.minProperties === 'number' ? s.minProperties : 0;
    for (let i = 0; Object.keys(out).length < min && s.additionalProperties !== false; i++) {
      out[`item_${i + 1}`] = this.value(extra(s), 'item', depth + 1, i);
    }
    return out;
  }

  private array(s: Schema, key: string, depth: number): unknown[] {
    const prefix = Array.isArray(s.prefixItems) ? s.prefixItems.filter(isRecord) : [];
    const items = isRecord(s.items) ? s.items : {};
    const min = typeof s.minItems === 'number' ? s.minItems : 0;
    const max = typeof s.maxItems === 'number' ? s.maxItems : Infinity;
    // One item shows the shape; deep in a recursive schema, as few as allowed.
    const count = Math.min(max, Math.max(min, prefix.length, depth >= MAX_DEPTH ? 0 : 1));
    const singular = key.replace(/ies$/, 'y').replace(/s$/, '');
    return Array.from({ length: count }, (_, i) => this.value(prefix[i] ?? items, singular, depth + 1, i));
  }

  private string(s: Schema, key: string, index: number): string {
    const base = formatted(s.format, index) ?? this.plausible(key, index);
    const min = typeof s.minLength === 'number' ? s.minLength : 0;
    const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
    const padded = base.length < min ? base + '.'.repeat(min - base.length) : base;
    return padded.slice(0, max);
  }

  /** A value the field's name asks for, else a labelled placeholder. */
  private plausible(key: string, index: number): string {
    const k = key.toLowerCase();
    const nth = index > 0 ? ` ${index + 1}` : '';
    if (/summary|description|answer|text|message|content|explanation|reason|response|prompt|query|input|body/.test(k)) {
      return this.hints.text;
    }
    if (/title|name|project|subject|label/.test(k)) return `${this.hints.name}${nth}`;
    if (/path|file/.test(k)) return index > 0 ? `file-${index + 1}.md` : 'README.md';
    if (/lang/.test(k)) return 'English';
    if (/status|state/.test(k)) return 'done';
    if (/(^|_)id$|Id$/.test(key)) return `${k.replace(/[^a-z]/g, '') || 'item'}-${index + 1}`;
    return `${key || 'value'}${nth} (scripted)`;
  }

  private resolve(s: Schema): Schema {
    let current = s;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 32; hops++) {
      const target = lookup(this.root, current.$ref);
      current = { ...withoutKeys(current, ['$ref']), ...(isRecord(target) ? target : {}) };
    }
    return current;
  }
}

/** The schema of properties beyond `properties`. */
const extra = (s: Schema): Schema => (isRecord(s.additionalProperties) ? s.additionalProperties : {});

function typeOf(s: Schema): string | undefined {
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t): t is string => typeof t === 'string');
    return types.find((t) => t !== 'null') ?? types[0];
  }
  if (isRecord(s.properties)) return 'object';
  if (isRecord(s.items)) return 'array';
  return undefined;
}

function number(s: Schema, type: 'integer' | 'number', index: number): number {
  const step = typeof s.multipleOf === 'number' && s.multipleOf > 0 ? s.multipleOf : type === 'integer' ? 1 : 0.5;
  let low = typeof s.minimum === 'number' ? s.minimum : -Infinity;
  if (typeof s.exclusiveMinimum === 'number') low = Math.max(low, s.exclusiveMinimum + Number.EPSILON);
  let high = typeof s.maximum === 'number' ? s.maximum : Infinity;
  if (typeof s.exclusiveMaximum === 'number') high = Math.min(high, s.exclusiveMaximum - Number.EPSILON);
  const wanted = Math.max(low, Math.min(high, 1 + index));
  // The smallest multiple of the step at or above the wanted value, and at or above the lower bound.
  let v = Math.ceil(wanted / step) * step;
  if (v > high) v = Math.floor(high / step) * step;
  return type === 'integer' ? Math.round(v) : v;
}

function formatted(format: unknown, index: number): string | undefined {
  switch (format) {
    case 'date-time':
      return `2026-01-0${1 + (index % 9)}T12:00:00Z`;
    case 'date':
      return `2026-01-0${1 + (index % 9)}`;
    case 'time':
      return '12:00:00Z';
    case 'email':
      return `person${index + 1}@example.com`;
    case 'uri':
    case 'url':
      return `https://example.com/${index + 1}`;
    case 'uuid':
      return `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
    case 'hostname':
      return 'example.com';
    case 'ipv4':
      return '192.0.2.1';
    case 'ipv6':
      return '2001:db8::1';
    default:
      return undefined;
  }
}

/** `#/$defs/Name` or `#/definitions/Name` (JSON pointer, ~0 and ~1 escapes). */
function lookup(root: Schema, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let at: unknown = root;
  for (const raw of ref
    .slice(1)
    .split('/')
    .filter((p) => p !== '')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    at = isRecord(at) ? at[part] : undefined;
  }
  return at;
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const props = { ...(isRecord(a.properties) ? a.properties : {}), ...(isRecord(b.properties) ? b.properties : {}) };
  const required = [...(Array.isArray(a.required) ? a.required : []), ...(Array.isArray(b.required) ? b.required : [])];
  return {
    ...a,
    ...b,
    ...(Object.keys(props).length ? { properties: props } : {}),
    ...(required.length ? { required } : {}),
  };
}

function withoutKeys(s: Schema, keys: readonly string[]): Schema {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !keys.includes(k)));
}
