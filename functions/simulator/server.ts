import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Routing } from "@leadflow/core/schemas/routing";
import { STEP_NAMES, type StepName } from "@leadflow/core/schemas/workflow";
import { answerFor } from "./answers.ts";
import {
  createCallCounter,
  createFaultMix,
  DirectiveError,
  directiveCovers,
  directiveFault,
  FAULT_KINDS,
  type Fault,
  type FaultKind,
  faultReply,
  normalReply,
  parseDirective,
  type Reply,
} from "./faults.ts";
import { latencySampler } from "./latency.ts";
import { obeyedRouting } from "./obey.ts";
import {
  DEFAULT_SETTINGS,
  mergeSettings,
  type SimulatorOptions,
  type SimulatorSettings,
  simulatorSettings,
} from "./options.ts";
import { hashString, seededRandom } from "./random.ts";
import { BadRequest, readStepCall } from "./request.ts";

/** The model name every answer reports, so a stored attempt always shows it came from the simulator. */
export const SIMULATOR_MODEL = "leadflow-simulator";
const MAX_BODY_BYTES = 1_000_000;

export interface SimulatorStats {
  /** Chat completion requests received, whatever their fate. */
  requests: number;
  /** The most requests received in any 60 seconds since start: what a provider's per-minute limit sees. */
  peakRequestsPerMinute: number;
  /** Requests by the output ceiling they carried (max_completion_tokens, max_tokens, or none at all). */
  byOutputCeiling: Record<"max_completion_tokens" | "max_tokens" | "none", number>;
  byStep: Record<StepName, number>;
  byFault: Record<FaultKind | "none", number>;
}

export interface Simulator {
  /** Base URL for an OpenAI client, ending in /v1. */
  url: string;
  port: number;
  /** Stops listening and drops every pending answer (hanging or delayed) so the process can exit. */
  close(): Promise<void>;
  /** Changes fault rates, seed, latency or Retry-After while running; the random streams restart from the seed. */
  configure(settings: SimulatorSettings): void;
  stats(): SimulatorStats;
}

/** An OpenAI-compatible Chat Completions server that answers the three leadflow steps, with faults on demand. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { port = 0, host = "127.0.0.1", onCall, ...initial } = options;
  let settings = mergeSettings(DEFAULT_SETTINGS, initial);
  // Faults and delays draw from separate streams, so changing the latency never changes which calls fail.
  const streams = () => ({
    faults: createFaultMix(settings.faultRates, settings.seed, settings.retryAfterSeconds),
    delay: latencySampler(settings.latencyMs, seededRandom(settings.seed ^ hashString("latency"))),
  });
  let random = streams();
  const counter = createCallCounter();
  const stats = emptyStats();
  /** When each request arrived, for the per-minute peak. */
  const arrivals: number[] = [];
  /** Answers not sent yet (delayed or hanging), dropped on close so no timer keeps the process alive. */
  const pending = new Set<{ res: ServerResponse; timer?: NodeJS.Timeout }>();

  const configure = (partial: SimulatorSettings) => {
    settings = mergeSettings(settings, partial);
    random = streams();
  };

  async function completion(req: IncomingMessage, res: ServerResponse) {
    const body = await readJson(req);
    const refusedCeiling = (["max_completion_tokens", "max_tokens"] as const).find(
      (param) =>
        typeof (body as Record<string, unknown>)[param] === "number" &&
        !settings.outputCeilingParams.includes(param),
    );
    if (refusedCeiling) {
      return json(
        res,
        400,
        openAiError(`Unrecognized request argument supplied: ${refusedCeiling}`, "invalid_request_error"),
      );
    }
    const call = readStepCall(body);
    stats.requests++;
    arrivals.push(Date.now());
    stats.byOutputCeiling[outputCeiling(body)]++;
    stats.byStep[call.step]++;
    const directive = parseDirective(call.lead.message);
    let fault: Fault | null;
    if (directive && directiveCovers(directive, call.step)) {
      fault = directiveFault(directive, call.step, counter.next(call.lead.message, call.step));
    } else {
      fault = random.faults.pick();
    }
    stats.byFault[fault?.kind ?? "none"]++;
    onCall?.({
      step: call.step,
      message: call.lead.message,
      fault: fault?.kind ?? null,
      at: Date.now(),
      remotePort: req.socket.remotePort,
    });

    const honest = answerFor(call.step, call);
    const obeyed =
      directive?.obey && call.step === "route" ? obeyedRouting(call.lead.message, honest as Routing) : honest;
    const answer = obeyed as unknown as Record<string, unknown>;
    if (settings.schemaMode === "non_enforcing") obeyOutOfSchemaAsk(call.step, call.lead.message, answer);
    const reply = fault
      ? faultReply(fault, {
          step: call.step,
          answer,
          bearer: bearerToken(req),
          defaultRetryAfterSeconds: settings.retryAfterSeconds,
        })
      : normalReply(answer);
    const delayMs = random.delay() + (directive?.delayMs ?? 0);
    const entry: { res: ServerResponse; timer?: NodeJS.Timeout } = { res };
    pending.add(entry);
    res.on("close", () => {
      clearTimeout(entry.timer);
      pending.delete(entry);
    });
    if (reply.type === "hang") return; // never answered: the client's timeout ends it, or close() does
    entry.timer = setTimeout(() => {
      pending.delete(entry);
      send(res, reply, body);
    }, delayMs);
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? "/", "http://simulator").pathname.replace(/\/+$/, "");
    const key = `${req.method} ${path}`;
    if (key === "POST /v1/chat/completions") return completion(req, res);
    if (key === "GET /healthz") return json(res, 200, { status: "ok" });
    if (key === "GET /v1/models") {
      return json(res, 200, {
        object: "list",
        data: [{ id: SIMULATOR_MODEL, object: "model", created: 0, owned_by: "leadflow" }],
      });
    }
    if (key === "GET /_simulator/stats") return json(res, 200, snapshot(stats, arrivals));
    if (key === "POST /_simulator/config") {
      const parsed = simulatorSettings.safeParse(await readJson(req));
      if (!parsed.success) {
        const problems = parsed.error.issues
          .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
          .join("; ");
        return json(
          res,
          400,
          openAiError(`Invalid simulator settings: ${problems}`, "invalid_request_error"),
        );
      }
      configure(parsed.data);
      return json(res, 200, { settings });
    }
    return json(
      res,
      404,
      openAiError(`No route for ${req.method} ${path}.`, "invalid_request_error", "not_found"),
    );
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof BadRequest || error instanceof DirectiveError) {
        json(res, 400, openAiError(error.message, "invalid_request_error"));
      } else if (error instanceof BodyTooLarge) {
        json(res, 413, openAiError(error.message, "invalid_request_error"));
      } else {
        // A simulator bug must be loud, but it answers like a server error so callers see a 500, not a hang.
        console.error("simulator: unexpected error", error);
        json(res, 500, openAiError("The simulator failed unexpectedly.", "server_error"));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${actualPort}/v1`,
    port: actualPort,
    configure,
    stats: () => snapshot(stats, arrivals),
    close: () =>
      new Promise<void>((resolve) => {
        for (const entry of pending) {
          clearTimeout(entry.timer);
          entry.res.destroy();
        }
        pending.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A server that does not constrain decoding lets the message win over the schema: asked for `category "vip"`, it
 * answers `vip`, which the enum forbids. Only the caller's validation catches it.
 */
function obeyOutOfSchemaAsk(step: StepName, message: string, answer: Record<string, unknown>) {
  if (step !== "classify") return;
  const asked = /\bcategory\s*(?:=|:|is|as|to|of)?\s*["'`]([a-z_]{2,40})["'`]/i.exec(message)?.[1];
  if (asked) answer.category = asked;
}

function send(res: ServerResponse, reply: Exclude<Reply, { type: "hang" }>, request: unknown) {
  if (res.destroyed) return;
  if (reply.type === "http_error") return json(res, reply.status, reply.body, reply.headers);
  if (reply.type === "raw") {
    res.writeHead(reply.status, {
      "content-type": reply.contentType,
      "content-length": Buffer.byteLength(reply.body),
    });
    res.end(reply.body);
    return;
  }
  const promptTokens = Math.ceil(
    JSON.stringify((request as { messages?: unknown }).messages ?? "").length / 4,
  );
  const completionTokens = Math.ceil((reply.content ?? reply.refusal ?? "").length / 4);
  json(res, 200, {
    id: `chatcmpl-sim-${hashString(JSON.stringify(request)).toString(16)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: SIMULATOR_MODEL,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: reply.content, refusal: reply.refusal },
        logprobs: null,
        finish_reason: reply.finishReason,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
    system_fingerprint: SIMULATOR_MODEL,
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function openAiError(message: string, type: string, code: string | null = null) {
  return { error: { message: `[simulated] ${message}`, type, param: null, code } };
}

class BodyTooLarge extends Error {}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new BodyTooLarge(`The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("The request body is not valid JSON.");
  }
}

function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length) : null;
}

/** Which output ceiling a request carried: every leadflow call must carry one. */
function outputCeiling(body: unknown): "max_completion_tokens" | "max_tokens" | "none" {
  const b = body as Record<string, unknown>;
  if (typeof b.max_completion_tokens === "number") return "max_completion_tokens";
  if (typeof b.max_tokens === "number") return "max_tokens";
  return "none";
}

/** The largest number of arrivals (sorted) within any window of `windowMs`: a two-pointer sweep. */
export function peakInWindow(arrivals: readonly number[], windowMs = 60_000): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < arrivals.length; end++) {
    while (arrivals[end]! - arrivals[start]! >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

function emptyStats(): SimulatorStats {
  return {
    requests: 0,
    peakRequestsPerMinute: 0,
    byOutputCeiling: { max_completion_tokens: 0, max_tokens: 0, none: 0 },
    byStep: Object.fromEntries(STEP_NAMES.map((s) => [s, 0])) as Record<StepName, number>,
    byFault: Object.fromEntries(["none", ...FAULT_KINDS].map((f) => [f, 0])) as Record<
      FaultKind | "none",
      number
    >,
  };
}

function snapshot(stats: SimulatorStats, arrivals: readonly number[]): SimulatorStats {
  return {
    requests: stats.requests,
    peakRequestsPerMinute: peakInWindow(arrivals),
    byOutputCeiling: { ...stats.byOutputCeiling },
    byStep: { ...stats.byStep },
    byFault: { ...stats.byFault },
  };
}
