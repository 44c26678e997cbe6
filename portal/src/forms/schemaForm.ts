// A product's request form is a JSON Schema (draft 2020-12, object of simple
// properties); this turns it into the fields the portal renders, and maps the
// service's validation messages ("path: message") back to the field they concern.

export type FieldKind = "text" | "longText" | "integer" | "number" | "date" | "select" | "multiSelect" | "list" | "boolean";

export interface FormField {
  name: string;
  kind: FieldKind;
  required: boolean;
  options: string[];
  min?: number;
  max?: number;
  maxLength?: number;
}

interface PropertySchema {
  type?: string;
  enum?: unknown[];
  format?: string;
  items?: PropertySchema;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

export interface ObjectSchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

function kindOf(property: PropertySchema): FieldKind {
  if (property.enum) return "select";
  if (property.type === "array") return property.items?.enum ? "multiSelect" : "list";
  if (property.type === "integer") return "integer";
  if (property.type === "number") return "number";
  if (property.type === "boolean") return "boolean";
  if (property.format === "date") return "date";
  return (property.maxLength ?? 0) > 200 ? "longText" : "text";
}

export function formFields(schema: ObjectSchema): FormField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    kind: kindOf(property),
    required: required.has(name),
    options: (property.enum ?? property.items?.enum ?? []).map(String),
    min: property.minimum,
    max: property.maximum,
    maxLength: property.maxLength,
  }));
}

export type FormValues = Record<string, string | string[] | boolean>;

/** The details object the API expects: empty fields left out, numbers as numbers. */
export function detailsFrom(fields: FormField[], values: FormValues): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) continue;
    if (field.kind === "integer" || field.kind === "number") details[field.name] = Number(value);
    else if (field.kind === "list") details[field.name] = String(value).split("\n").map((line) => line.trim()).filter(Boolean);
    else details[field.name] = value;
  }
  return details;
}

/** "election_date: '1 May' does not match …" → {election_date: "…"}; a missing
 * required property ("(details): 'x' is a required property") lands on x. */
export function fieldErrors(messages: string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const message of messages) {
    const [path, ...rest] = message.split(": ");
    const text = rest.join(": ");
    const missing = /^'([^']+)' is a required property$/.exec(text);
    const field = missing ? missing[1] : path.split("/")[0];
    errors[field] = missing ? "required" : text;
  }
  return errors;
}

export function humanise(name: string): string {
  const words = name.replace(/_/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
