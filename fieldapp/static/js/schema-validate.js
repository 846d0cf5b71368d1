// Client-side validation of a record against its definition: the subset of JSON Schema 2020-12 the
// definitions use, with the same messages and one-error-per-field choice as fieldapp/records/validation.py.
// Tests run one table of records through both and require identical (path, message) answers.

const PRIORITY = { missing: 0, type: 1, enum: 2, const: 2, maxLength: 3, minLength: 3, maxItems: 3, uniqueItems: 3,
  pattern: 4, format: 4, minimum: 5, maximum: 5, additionalProperties: 6, anyOf: 7 };
const TYPE_WORDS = { integer: "a whole number", number: "a number", string: "text", boolean: "yes or no",
  array: "a list", object: "a group of answers", null: "empty" };
// Keywords this validator understands; a test fails if a definition uses any other.
export const SUPPORTED_KEYWORDS = ["$schema", "$id", "$defs", "$ref", "type", "enum", "const", "properties",
  "required", "additionalProperties", "items", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength",
  "pattern", "format", "minimum", "maximum", "allOf", "anyOf", "if", "then", "default"];

export function pointer(parts) {
  return parts.map((part) => "/" + String(part).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

export function parsePointer(path) {
  return path.split("/").slice(1).map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The ui key of a pointer: array positions dropped, dotted ("/actions/0/owner" → "actions.owner"). */
export function fieldKey(path) {
  return parsePointer(path).filter((part) => !/^[0-9]+$/.test(part)).join(".");
}

export function resolve(schema, root) {
  while (schema && schema.$ref) {
    const { $ref, ...rest } = schema;
    schema = { ...root.$defs[$ref.split("/").pop()], ...rest };
  }
  return schema || {};
}

function jsonType(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function hasType(value, type) {
  const actual = jsonType(value);
  if (type === "integer") return actual === "number" && Number.isInteger(value);
  return actual === type;
}

function equal(a, b) {
  if (jsonType(a) !== jsonType(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  if (a && typeof a === "object") {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key]));
  }
  return a === b;
}

function isRealDate(text) {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return false;
  const [year, month, day] = text.split("-").map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function check(schema, value, path, root, out) {
  const fail = (keyword, limit, at = schema) => out.push({ keyword, limit, path, instance: value, schema: at });
  if (schema.$ref) check(resolve({ $ref: schema.$ref }, root), value, path, root, out);
  if (schema.type && !hasType(value, schema.type)) fail("type", schema.type);
  if (schema.enum && !schema.enum.some((option) => equal(option, value))) fail("enum", schema.enum);
  if ("const" in schema && !equal(schema.const, value)) fail("const", schema.const);
  if (typeof value === "string") {
    const length = [...value].length; // code points, as Python counts them
    if (schema.minLength !== undefined && length < schema.minLength) fail("minLength", schema.minLength);
    if (schema.maxLength !== undefined && length > schema.maxLength) fail("maxLength", schema.maxLength);
    if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) fail("pattern", schema.pattern);
    if (schema.format === "date" && !isRealDate(value)) fail("format", "date");
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) fail("minimum", schema.minimum);
    if (schema.maximum !== undefined && value > schema.maximum) fail("maximum", schema.maximum);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) fail("minItems", schema.minItems);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) fail("maxItems", schema.maxItems);
    if (schema.uniqueItems && value.some((item, i) => value.slice(i + 1).some((other) => equal(item, other)))) {
      fail("uniqueItems", true);
    }
    if (schema.items) value.forEach((item, i) => check(schema.items, item, [...path, i], root, out));
  }
  if (jsonType(value) === "object") {
    if (schema.required && schema.required.some((name) => !Object.hasOwn(value, name))) fail("required", schema.required);
    for (const [name, sub] of Object.entries(schema.properties || {})) {
      if (Object.hasOwn(value, name)) check(sub, value[name], [...path, name], root, out);
    }
    if (schema.additionalProperties === false && Object.keys(value).some((name) => !(name in (schema.properties || {})))) {
      fail("additionalProperties", false);
    }
  }
  for (const sub of schema.allOf || []) check(sub, value, path, root, out);
  if (schema.anyOf && !schema.anyOf.some((sub) => isValid(sub, value, root))) fail("anyOf", schema.anyOf);
  if (schema.if && isValid(schema.if, value, root) && schema.then) check(schema.then, value, path, root, out);
}

export function isValid(schema, value, root) {
  const out = [];
  check(schema, value, [], root, out);
  return out.length === 0;
}

export function lowerFirst(text) {
  if (text.length > 1 && text[1] === text[1].toUpperCase() && text[1] !== text[1].toLowerCase()) return text;
  return text.slice(0, 1).toLowerCase() + text.slice(1);
}

function joinOr(items) {
  return items.length === 1 ? items[0] : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** Human messages for one definition, driven by its ui labels, item titles and error overrides. */
export class Messages {
  constructor(definition) {
    this.root = definition.schema;
    this.ui = definition.ui;
  }

  label(key) {
    const last = key.split(".").pop().replaceAll("_", " ");
    const fallback = key ? last.charAt(0).toUpperCase() + last.slice(1).toLowerCase() : "This record";
    return (this.ui.labels || {})[key] ?? fallback;
  }

  /** The (resolved) schema of the field at a JSON pointer, found by walking properties and items. */
  schemaAt(path) {
    let schema = this.root;
    for (const part of parsePointer(path)) {
      schema = resolve(schema, this.root);
      schema = /^[0-9]+$/.test(part) ? schema.items || {} : (schema.properties || {})[part] || {};
    }
    return resolve(schema, this.root);
  }

  missingAt(path) {
    return this.missing(fieldKey(path), this.schemaAt(path));
  }

  missing(key, schema) {
    if ((this.ui.errors || {})[key] !== undefined) return this.ui.errors[key];
    schema = resolve(schema, this.root);
    const label = this.label(key);
    if (label.endsWith("?")) return `Answer the question: ${label}`;
    if (schema.type === "array" && !("enum" in resolve(schema.items || {}, this.root))) {
      return `Add at least one ${lowerFirst((this.ui.items || {})[key] ?? label)}`;
    }
    if (schema.type === "boolean" || schema.type === "array" || "enum" in schema) return `Select ${lowerFirst(label)}`;
    if (schema.type === "object") return `Add ${lowerFirst(label)}`;
    return `Enter ${lowerFirst(label)}`;
  }

  describe(error) {
    const path = pointer(error.path);
    const { keyword, limit, instance } = error;
    if (keyword === "required") {
      return limit.filter((name) => !Object.hasOwn(instance, name))
        .map((name) => ({ path: `${path}/${name}`, message: this.missingAt(`${path}/${name}`) }));
    }
    if (keyword === "additionalProperties") {
      return Object.keys(instance).filter((name) => !(name in (error.schema.properties || {})))
        .map((name) => ({ path: `${path}/${name}`, message: `${name} is not a field of this record` }));
    }
    if (keyword === "anyOf" && limit.every((branch) => Object.keys(branch).join() === "required")) {
      const names = limit.map((branch) => branch.required[0]);
      const listed = joinOr(names.map((name) => this.label(fieldKey(`${path}/${name}`))));
      return [{ path: `${path}/${names[0]}`, message: `Enter at least one of: ${listed}` }];
    }
    return [{ path, message: this.message(keyword, path, limit, instance) }];
  }

  message(keyword, path, limit, instance) {
    const label = this.label(fieldKey(path));
    const empty = instance === "" || (Array.isArray(instance) && instance.length === 0);
    if ((keyword === "minLength" || keyword === "minItems") && empty) return this.missingAt(path);
    const texts = {
      type: () => `${label}: the answer must be ${TYPE_WORDS[Array.isArray(limit) ? limit[0] : limit]}`,
      enum: () => `${label}: select one of the listed options`,
      const: () => `${label} is not valid for this record`,
      maxLength: () => `${label} must be ${limit} characters or fewer`,
      minLength: () => `${label} must be at least ${limit} characters`,
      minItems: () => `${label}: add at least ${limit}`,
      maxItems: () => `${label}: you can add up to ${limit}`,
      uniqueItems: () => `${label}: each answer can be chosen only once`,
      format: () => `Enter ${lowerFirst(label)} as a real date, like 2025-03-27`,
      pattern: () => `Enter ${lowerFirst(label)} in the right format`,
      minimum: () => `${label} must be ${limit} or more`,
      maximum: () => `${label} must be ${limit} or less`,
    };
    return (texts[keyword] || (() => `Check ${lowerFirst(label)}`))();
  }
}

function kindOf(error) {
  const empty = error.instance === "" || (Array.isArray(error.instance) && error.instance.length === 0);
  if (error.keyword === "required" || ((error.keyword === "minLength" || error.keyword === "minItems") && empty)) {
    return "missing";
  }
  return error.keyword;
}

/** Field errors [{path, message}] for `value` as a record of `definition`'s type; [] when valid. */
export function validateRecord(definition, value) {
  const raw = [];
  check(definition.schema, value, [], definition.schema, raw);
  const messages = new Messages(definition);
  const best = new Map();
  for (const error of raw) {
    const rank = PRIORITY[kindOf(error)] ?? 8;
    for (const fieldError of messages.describe(error)) {
      if (!best.has(fieldError.path) || rank < best.get(fieldError.path).rank) best.set(fieldError.path, { rank, fieldError });
    }
  }
  return [...best.keys()].sort().map((path) => best.get(path).fieldError);
}

/** Names of properties of `objectSchema` that an if/then makes required, each with the `if` that does it. */
export function conditionalRequirements(objectSchema, root) {
  const found = new Map();
  const visit = (schema) => {
    schema = resolve(schema, root);
    for (const sub of schema.allOf || []) visit(sub);
    if (schema.if && schema.then) {
      for (const name of resolve(schema.then, root).required || []) {
        found.set(name, [...(found.get(name) || []), schema.if]);
      }
    }
  };
  visit(objectSchema);
  return found;
}
