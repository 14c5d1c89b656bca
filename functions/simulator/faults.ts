import type { StepName } from "@leadflow/core/schemas/workflow";
import { type Random, seededRandom } from "./random.ts";

/** Every failure the simulator can produce; the names are the contract used by directives, options and stats. */
export const FAULT_KINDS = [
  "http_500",
  "http_503",
  "http_429",
  "http_401",
  "http_400",
  "hang",
  "invalid_json",
  "fenced_json",
  "wrong_types",
  "bad_enum",
  "missing_fields",
  "extra_fields",
  "out_of_range",
  "refusal",
  "truncated",
  "empty",
  // Hostile or broken providers: answers PostgreSQL cannot store, runaway sizes, 200s that are not completions.
  "nul_string",
  "lone_surrogate",
  "huge_answer",
  "whitespace_flood",
  "html_200",
  "empty_choices",
  "no_message",
  "insufficient_quota",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Only for http_429: the Retry-After the simulator sends. */
  retryAfterSeconds?: number;
}

/** One element of a directive's sequence: `times` calls of this fault, or every remaining call when null. */
export interface FaultRun {
  fault: Fault;
  times: number | null;
}

export type DirectiveTarget = StepName | "all";

export interface Directive {
  faults: Partial<Record<DirectiveTarget, FaultRun[]>>;
  /** Extra latency for every call of this message. */
  delayMs: number;
  /** `obey`: the route answer follows the instruction injected in the message (see obey.ts). */
  obey: boolean;
}

export class DirectiveError extends Error {
  override name = "DirectiveError";
}

const DIRECTIVE = /\[\[sim\b([^\]]*)\]\]/gi;
const TARGETS: readonly DirectiveTarget[] = ["classify", "extract", "route", "all"];

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

/** The message without its directives, so a test's directive never changes what the simulator answers. */
export function stripDirectives(message: string): string {
  return message.replace(DIRECTIVE, " ").replace(/\s+/g, " ").trim();
}

/**
 * Reads `[[sim classify=http_500*2,bad_enum extract=http_429:3*1 all=truncated delay=300 obey]]` from a message.
 * Null when the message has no directive; throws DirectiveError on a typo, so a test never silently runs
 * without the fault it asked for.
 */
export function parseDirective(message: string): Directive | null {
  const matches = [...message.matchAll(DIRECTIVE)];
  if (matches.length === 0) return null;
  const directive: Directive = { faults: {}, delayMs: 0, obey: false };
  for (const match of matches) {
    for (const token of match[1]!.trim().split(/\s+/).filter(Boolean)) {
      if (token === "obey") {
        directive.obey = true;
        continue;
      }
      const eq = token.indexOf("=");
      const key = eq > 0 ? token.slice(0, eq) : "";
      const value = eq > 0 ? token.slice(eq + 1) : "";
      if (key === "delay") {
        if (!/^\d+$/.test(value)) throw new DirectiveError(`delay must be a number of ms, got "${value}"`);
        directive.delayMs += Number(value);
      } else if ((TARGETS as readonly string[]).includes(key)) {
        directive.faults[key as DirectiveTarget] = value.split(",").map(parseFaultRun);
      } else {
        throw new DirectiveError(
          `unknown directive entry "${token}" (expected classify=, extract=, route=, all=, delay= or obey)`,
        );
      }
    }
  }
  return directive;
}

function parseFaultRun(text: string): FaultRun {
  const match = /^([a-z_0-9]+)(?::(\d+))?(?:\*(\d+))?$/.exec(text);
  if (!match || !isFaultKind(match[1]!)) {
    throw new DirectiveError(
      `unknown fault "${text}" (expected one of ${FAULT_KINDS.join(", ")}, optionally *N)`,
    );
  }
  const kind = match[1] as FaultKind;
  if (match[2] !== undefined && kind !== "http_429") {
    throw new DirectiveError(`only http_429 takes an argument (seconds), got "${text}"`);
  }
  const fault: Fault = match[2] !== undefined ? { kind, retryAfterSeconds: Number(match[2]) } : { kind };
  return { fault, times: match[3] !== undefined ? Number(match[3]) : null };
}

/**
 * The fault for the n-th call (1-based) of one step of one message, walking the step's sequence (a step's own
 * entry wins over `all`). Null once the sequence is used up, or when the directive leaves this step alone.
 */
export function directiveFault(directive: Directive, step: StepName, callNumber: number): Fault | null {
  const runs = directive.faults[step] ?? directive.faults.all;
  if (!runs) return null;
  let remaining = callNumber;
  for (const run of runs) {
    if (run.times === null || remaining <= run.times) return run.fault;
    remaining -= run.times;
  }
  return null;
}

/** Whether the directive decides this step's calls, which keeps the random mix away from them. */
export function directiveCovers(directive: Directive | null, step: StepName): boolean {
  return Boolean(directive && (directive.faults[step] ?? directive.faults.all));
}

/** Calls counted per (message, step), in memory: what makes `*N` mean "the first N calls". */
export function createCallCounter() {
  const counts = new Map<string, number>();
  return {
    next(message: string, step: StepName): number {
      const key = `${step}\u0000${message}`;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return n;
    },
  };
}

export type FaultRates = Partial<Record<FaultKind, number>>;

/** The random mix for chaos runs: each call draws one fault (or none) with the configured probabilities. */
export function createFaultMix(rates: FaultRates, seed: number, retryAfterSeconds: number) {
  const random: Random = seededRandom(seed);
  const entries = FAULT_KINDS.map((kind) => [kind, rates[kind] ?? 0] as const).filter(([, rate]) => rate > 0);
  return {
    pick(): Fault | null {
      if (entries.length === 0) return null;
      const draw = random();
      let cumulative = 0;
      for (const [kind, rate] of entries) {
        cumulative += rate;
        if (draw < cumulative) return kind === "http_429" ? { kind, retryAfterSeconds } : { kind };
      }
      return null;
    },
  };
}

/** What the server sends for one call. */
export type Reply =
  | {
      type: "completion";
      content: string | null;
      refusal: string | null;
      finishReason: "stop" | "length" | "content_filter";
    }
  | { type: "http_error"; status: number; headers: Record<string, string>; body: unknown }
  /** A 200 sent as is: a proxy's page, or JSON that is not a chat completion. */
  | { type: "raw"; status: number; contentType: string; body: string }
  | { type: "hang" };

export interface ReplyContext {
  step: StepName;
  /** The valid answer the simulator would have given; answer-shaped faults corrupt a copy of it. */
  answer: Record<string, unknown>;
  /** The bearer token the caller sent, echoed by http_401 like some proxies do, to prove clients redact it. */
  bearer: string | null;
  defaultRetryAfterSeconds: number;
}

export function normalReply(answer: unknown): Reply {
  return { type: "completion", content: JSON.stringify(answer), refusal: null, finishReason: "stop" };
}

export function faultReply(fault: Fault, context: ReplyContext): Reply {
  const { step, answer } = context;
  const completion = (content: string | null, finishReason: "stop" | "length" = "stop"): Reply => ({
    type: "completion",
    content,
    refusal: null,
    finishReason,
  });
  switch (fault.kind) {
    case "http_500":
      return httpError(500, "server_error", null, "The server had an error while processing your request.");
    case "http_503":
      return httpError(503, "server_error", null, "The model is overloaded. Please try again later.");
    case "http_429": {
      const seconds = fault.retryAfterSeconds ?? context.defaultRetryAfterSeconds;
      return httpError(
        429,
        "requests",
        "rate_limit_exceeded",
        `Rate limit reached. Please try again in ${seconds}s.`,
        { "retry-after": String(seconds) },
      );
    }
    case "http_401":
      return httpError(
        401,
        "invalid_request_error",
        "invalid_api_key",
        `Incorrect API key provided: ${context.bearer ?? "(none)"}.`,
      );
    case "http_400":
      return httpError(400, "invalid_request_error", null, `Invalid request for response_format '${step}'.`);
    case "hang":
      return { type: "hang" };
    case "invalid_json":
      // Prose around otherwise valid JSON: the most common way a model breaks JSON mode.
      return completion(`Sure! Here is the ${step} result:\n${JSON.stringify(answer)}`);
    case "fenced_json":
      return completion(`\`\`\`json\n${JSON.stringify(answer, null, 2)}\n\`\`\``);
    case "truncated": {
      const full = JSON.stringify(answer);
      return completion(full.slice(0, Math.max(1, Math.floor(full.length / 2))), "length");
    }
    case "empty":
      return completion("");
    case "insufficient_quota":
      // OpenAI's answer when the account has no credit: a 429 that no amount of waiting fixes.
      return httpError(
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
      );
    case "nul_string":
      return completion(JSON.stringify(withText(step, answer, "ok\u0000then")));
    case "lone_surrogate":
      return completion(JSON.stringify(withText(step, answer, "ok\ud800then")));
    case "huge_answer":
      return completion(JSON.stringify(withText(step, answer, HUGE_TEXT)));
    case "whitespace_flood":
      // vLLM under guided decoding sometimes pads with whitespace until the token limit, then stops.
      return completion(`{${" \n".repeat(50_000)}`, "length");
    case "html_200":
      return {
        type: "raw",
        status: 200,
        contentType: "text/html; charset=utf-8",
        body: "<!doctype html><html><head><title>Sign in</title></head><body>[simulated] Please sign in to continue.</body></html>",
      };
    case "empty_choices":
      return rawJson({
        id: "chatcmpl-sim-empty",
        object: "chat.completion",
        model: "leadflow-simulator",
        choices: [],
      });
    case "no_message":
      return rawJson({
        id: "chatcmpl-sim-nomsg",
        object: "chat.completion",
        model: "leadflow-simulator",
        choices: [{ index: 0, finish_reason: "stop" }],
      });
    case "refusal":
      return {
        type: "completion",
        content: null,
        refusal: "I'm sorry, but I can't help with that request.",
        finishReason: "stop",
      };
    default:
      return completion(JSON.stringify(corrupt(fault.kind, step, answer)));
  }
}

/** About 2 MB of text: an answer no output ceiling would allow, but that a broken server may send. */
const HUGE_TEXT = "[simulated] ".padEnd(2 * 1024 * 1024, "lorem ipsum ");

function rawJson(body: unknown): Reply {
  return { type: "raw", status: 200, contentType: "application/json", body: JSON.stringify(body) };
}

/** A copy of the answer with one free-text field of the step set to `text`. */
function withText(step: StepName, answer: Record<string, unknown>, text: string): Record<string, unknown> {
  const copy = structuredClone(answer);
  if (step === "classify") copy.rationale = text;
  else if (step === "extract") (copy.extracted_fields as Record<string, unknown>).customer_name = text;
  else (copy.routing_decision as Record<string, unknown>).explanation = text;
  return copy;
}

function httpError(
  status: number,
  type: string,
  code: string | null,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return {
    type: "http_error",
    status,
    headers,
    body: { error: { message: `[simulated] ${message}`, type, param: null, code } },
  };
}

type SchemaFault = "wrong_types" | "bad_enum" | "missing_fields" | "extra_fields" | "out_of_range";

/** Breaks one field of a valid answer the way real models do; each step has a field that exists in its schema. */
function corrupt(kind: FaultKind, step: StepName, answer: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(answer);
  // The object holding the step's fields: routing and extraction nest them, classification does not.
  const inner = (key: string) => copy[key] as Record<string, unknown>;
  const target =
    step === "route" ? inner("routing_decision") : step === "extract" ? inner("extracted_fields") : copy;
  const mutations: Record<SchemaFault, () => void> = {
    wrong_types: () => {
      if (step === "route") target.sla_minutes = String(target.sla_minutes);
      else copy.confidence = String(copy.confidence);
    },
    bad_enum: () => {
      if (step === "classify") copy.category = "hot_lead";
      else if (step === "extract") target.urgency = "critical";
      else target.priority = "urgent";
    },
    missing_fields: () => {
      if (step === "classify") delete copy.rationale;
      else if (step === "extract") delete target.budget_range;
      else delete target.required_followups;
    },
    extra_fields: () => {
      if (step === "classify") copy.sentiment = "positive";
      else if (step === "extract") target.phone_number = "+1 555 0100";
      else target.assignee = "alex";
    },
    out_of_range: () => {
      if (step === "route") target.sla_minutes = -30;
      else copy.confidence = 1.7;
    },
  };
  mutations[kind as SchemaFault]();
  return copy;
}
