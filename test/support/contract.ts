import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/**
 * The served OpenAPI document is the contract. Every answer a test receives through `call()` is checked against
 * it: the operation must exist, the status must be one it declares, and a JSON body must match the schema
 * declared for that status. A handler that drifts from the document (a new field, a new status, a changed type)
 * then fails the suite that happened to provoke it, not a reviewer's eye.
 */

type Json = Record<string, any>;

export interface ContractAnswer {
  method: string;
  /** As requested: the query string, if any, is ignored. */
  path: string;
  status: number;
  contentType: string | null;
  /** The parsed body, or undefined when the body was empty or not JSON. */
  json: unknown;
}

interface Operation {
  template: string;
  matcher: RegExp;
  /** Fewer path parameters first, so `/leads/stats` would win over `/leads/{id}`. */
  parameters: number;
  method: string;
  responses: Json;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const isJson = (contentType: string | null) =>
  !!contentType && /^application\/(.+\+)?json\b/i.test(contentType);

function operationsOf(document: Json): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries<Json>(document.paths ?? {})) {
    const pattern = template
      .split("/")
      .map((segment) =>
        /^\{[^}]+\}$/.test(segment) ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    for (const method of HTTP_METHODS) {
      if (!item[method]) continue;
      operations.push({
        template,
        matcher: new RegExp(`^${pattern}$`),
        parameters: (template.match(/\{/g) ?? []).length,
        method,
        responses: item[method].responses ?? {},
      });
    }
  }
  return operations.sort((a, b) => a.parameters - b.parameters);
}

/** The declared answer for a status: the exact code, then its class (`4XX`), then `default`. */
const declaredAnswer = (responses: Json, status: number): Json | undefined =>
  responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;

const jsonSchemaOf = (answer: Json | undefined): Json | undefined =>
  Object.entries<Json>(answer?.content ?? {}).find(([mediaType]) => isJson(mediaType))?.[1]?.schema;

/**
 * A copy of a schema in which every object that does not say otherwise admits only the properties it declares.
 * The document leaves objects open, so clients accept fields added later; the suite holds the API to the stricter
 * reading, so a field the API sends but the document never names (as `repaired` once was) is drift.
 * `unevaluatedProperties` sees through `allOf` and `$ref`, so the members of an `allOf` are left open and the
 * object that composes them is closed instead.
 */
export function closedObjects(schema: unknown, inAllOf = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => closedObjects(item));
  if (!schema || typeof schema !== "object") return schema;
  const copy: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "allOf" && Array.isArray(value))
      copy[key] = value.map((member) => closedObjects(member, true));
    else if (key === "properties" || key === "$defs" || key === "patternProperties") {
      copy[key] = Object.fromEntries(Object.entries<unknown>(value).map(([k, v]) => [k, closedObjects(v)]));
    } else copy[key] = closedObjects(value);
  }
  const describesObject = copy.properties !== undefined || Array.isArray(copy.allOf);
  const saysOtherwise = "additionalProperties" in copy || "unevaluatedProperties" in copy;
  if (describesObject && !saysOtherwise && !inAllOf) copy.unevaluatedProperties = false;
  return copy;
}

/** Builds the checker for one document; it returns each way an answer breaks the contract, none when it keeps it. */
export function contractOf(document: Json) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const operations = operationsOf(document);
  const validators = new Map<string, ValidateFunction>();
  const components = closedObjects(document.components ?? {});

  // Each schema is compiled with the document's components beside it, so its `#/components/...` refs resolve.
  const validatorFor = (key: string, schema: Json) => {
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile({ ...(closedObjects(schema) as Json), components });
      validators.set(key, validate);
    }
    return validate;
  };

  // Every error shares one envelope; an unknown route's 404 is held to it through any documented 404.
  const notFoundSchema = operations
    .map((operation) => jsonSchemaOf(operation.responses["404"]))
    .find((schema) => schema !== undefined);

  return function problems(answer: ContractAnswer): string[] {
    const path = answer.path.split("?")[0]!;
    const method = answer.method.toLowerCase();
    const what = `${answer.method.toUpperCase()} ${path} answered ${answer.status}`;
    const operation = operations.find((o) => o.method === method && o.matcher.test(path));
    let schema: Json | undefined;
    let key: string;
    if (operation) {
      const declared = declaredAnswer(operation.responses, answer.status);
      if (!declared) {
        const listed = Object.keys(operation.responses).join(", ");
        return [
          `${what}, a status ${operation.method.toUpperCase()} ${operation.template} does not declare (${listed})`,
        ];
      }
      schema = jsonSchemaOf(declared);
      key = `${operation.method} ${operation.template} ${answer.status}`;
      if (isJson(answer.contentType) && answer.json !== undefined && !schema) {
        return [`${what} with a JSON body, but the document declares no JSON body for that status`];
      }
    } else {
      if (answer.status !== 404) return [`${what}, but the document has no such operation`];
      schema = notFoundSchema;
      key = "unknown route 404";
    }
    if (!isJson(answer.contentType) || answer.json === undefined || !schema) return [];
    const validate = validatorFor(key, schema);
    if (validate(answer.json)) return [];
    return (validate.errors ?? []).map(
      (error) => `${what}: body${error.instancePath} ${error.message} ${JSON.stringify(error.params)}`,
    );
  };
}

export type ContractCheck = ReturnType<typeof contractOf>;

/** Anything that answers requests the way Hono's `app.request` does (the test API, in-process). */
interface Requestable {
  request(path: string): Response | Promise<Response>;
}

// One document per app, fetched from the app itself: the check holds answers to what the app serves, not to a copy.
const checks = new WeakMap<Requestable, Promise<ContractCheck>>();

function checkFor(app: Requestable): Promise<ContractCheck> {
  let check = checks.get(app);
  if (!check) {
    check = (async () => {
      const res = await app.request("/openapi.json");
      if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
      return contractOf(await res.json());
    })();
    checks.set(app, check);
  }
  return check;
}

/** Throws with every problem listed, so the test that received a drifting answer fails and says why. */
export async function checkContract(app: Requestable, answer: ContractAnswer) {
  const found = (await checkFor(app))(answer);
  if (found.length > 0) {
    throw new Error(`The answer breaks the OpenAPI document (/openapi.json):\n  ${found.join("\n  ")}`);
  }
}
