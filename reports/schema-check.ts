// A small JSON Schema checker for the subset result.schema.json uses (type,
// const, enum, required, properties, additionalProperties, items, anyOf,
// minimum, pattern, local $ref). Enough to test the schema and to check a
// result file without a validator dependency; not a general implementation.
import { readFileSync } from 'node:fs';

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  pattern?: string;
  $defs?: Record<string, JsonSchema>;
};

const SUPPORTED = new Set(['$schema', '$id', '$ref', '$defs', 'title', 'description', 'type', 'const', 'enum', 'required', 'properties', 'additionalProperties', 'items', 'anyOf', 'minimum', 'pattern']);

/** The result schema, read once from beside this module. */
export function loadResultSchema(): JsonSchema {
  return JSON.parse(readFileSync(new URL('./result.schema.json', import.meta.url), 'utf8')) as JsonSchema;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  if (t === 'integer') return typeof v === 'number' && Number.isInteger(v);
  if (t === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeOf(v) === t;
}

/** Every place `value` breaks `schema`, as "path: what was expected"; empty when it conforms. */
export function checkSchema(value: unknown, schema: JsonSchema, root: JsonSchema = schema, path = '$'): string[] {
  for (const key of Object.keys(schema)) if (!SUPPORTED.has(key)) throw new Error(`schema-check does not support "${key}" (at ${path})`);
  if (schema.$ref) {
    const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = m ? root.$defs?.[m[1]!] : undefined;
    if (!target) throw new Error(`unresolved $ref ${schema.$ref} at ${path}`);
    return checkSchema(value, target, root, path);
  }
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => hasType(value, t))) return [`${path}: expected ${types.join(' or ')}, found ${typeOf(value)}`];
  }
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${path}: expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, found ${JSON.stringify(value)}`);
  }
  if (schema.anyOf && !schema.anyOf.some((s) => checkSchema(value, s, root, path).length === 0)) errors.push(`${path}: matches none of the allowed forms`);
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: expected ≥ ${schema.minimum}, found ${value}`);
  if (typeof value === 'string' && schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${path}: expected to match ${schema.pattern}`);
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...checkSchema(item, schema.items!, root, `${path}[${i}]`)));
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) errors.push(`${path}: missing required "${key}"`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) errors.push(...checkSchema(v, sub, root, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property "${key}"`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...checkSchema(v, schema.additionalProperties, root, `${path}.${key}`));
    }
  }
  return errors;
}
