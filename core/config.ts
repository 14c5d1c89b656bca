import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
/** Unset (or empty) means no limit. */
const optionalLimit = z.preprocess((v) => (v === "" ? undefined : v), positiveInt.optional());
const usdPerMillionTokens = z.coerce.number().min(0).max(10_000).default(0);

/** The upper bound of JWT_TTL_SECONDS: one day. */
export const MAX_JWT_TTL_SECONDS = 86_400;

const DEVELOPMENT_JWT_SECRET = "leadflow-development-secret-do-not-use-in-production";

/** An address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATABASE_URL: z.string().url().default("postgres://postgres@127.0.0.1:5432/leadflow"),
    DATABASE_POOL_SIZE: positiveInt.default(10),
    REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
    REDIS_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9_-]+$/)
      .default("leadflow"),
    JWT_SECRET: z.string().optional(),
    // A token cannot be refreshed, only revoked by its holder's logout: a day at most bounds a stolen one.
    JWT_TTL_SECONDS: positiveInt.max(MAX_JWT_TTL_SECONDS).default(3600),
    BCRYPT_COST: z.coerce.number().int().min(10).max(15).default(12),
    API_PORT: port.default(3000),
    API_URL: z.string().url().optional(),
    WEB_PORT: port.default(5173),
    LLM_PROVIDER: z.enum(["openai", "simulator"]).optional(),
    OPENAI_API_KEY: z.string().optional(),
    OPENAI_BASE_URL: z.string().url().optional(),
    LLM_MODEL: z.string().optional(),
    LLM_TIMEOUT_MS: positiveInt.default(20_000),
    SIMULATOR_PORT: port.default(4010),
    /** The output ceiling sent with every call, so no answer runs on (and bills) without end. */
    LLM_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(16).max(1_000_000).default(1024),
    /** Which request field carries it: OpenAI's current name, or the older one some compatible servers know. */
    LLM_MAX_TOKENS_PARAM: z.enum(["max_completion_tokens", "max_tokens"]).default("max_completion_tokens"),
    /** What of an answer (raw text, validation errors) an attempt keeps; the rest is cut, and the cut marked. */
    LLM_MAX_STORED_ANSWER_BYTES: z.coerce.number().int().min(1024).max(10_000_000).default(32_768),
    /** Provider flow control shared by every worker: calls and reported tokens in any minute. */
    LLM_REQUESTS_PER_MINUTE: optionalLimit,
    LLM_TOKENS_PER_MINUTE: optionalLimit,
    /** Tokens one user's steps may spend per UTC day; past it they wait for the next day. 0: no budget. */
    USER_DAILY_TOKEN_BUDGET: nonNegativeInt.default(2_000_000),
    LLM_PRICE_INPUT_PER_MTOK: usdPerMillionTokens,
    LLM_PRICE_OUTPUT_PER_MTOK: usdPerMillionTokens,
    STEP_MAX_ATTEMPTS: positiveInt.default(5),
    STEP_BACKOFF_BASE_MS: positiveInt.default(1_000),
    STEP_BACKOFF_CAP_MS: positiveInt.default(60_000),
    STEP_MAX_REASKS: z.coerce.number().int().min(0).default(2),
    /** Claims of one step lost to a dead or hung worker before the step fails: a poison lead ends. */
    STEP_MAX_TAKEOVERS: positiveInt.default(3),
    /** Runs of one workflow (the first and each POST /leads/:id/retry). */
    WORKFLOW_MAX_RUNS: positiveInt.default(5),
    WORKER_CONCURRENCY: positiveInt.default(8),
    AUTH_RATE_LIMIT: positiveInt.default(10),
    LEADS_RATE_LIMIT: positiveInt.default(120),
    /** Web-chat posts a minute from one address to one channel key, whatever their answer. */
    WEBCHAT_RATE_LIMIT: positiveInt.default(10),
    /** Where providers reach the API from outside: the base of every channel's `inbound_url`. */
    PUBLIC_API_URL: z.string().url().optional(),
    /**
     * Seals the channel secrets that must be read back to verify HMACs (WhatsApp's app secret, Mailgun's signing
     * key): 32+ characters. Unset, a key is derived from JWT_SECRET (HKDF, its own label).
     */
    CHANNEL_SECRETS_KEY: z.string().min(32).optional(),
    /**
     * Where the API counts requests for its rate limits: Redis, or PostgreSQL where there is no Redis. Defaults
     * to `postgres` with QUEUE_DRIVER=sqs (AWS Lambda, no Redis there), else `redis`.
     */
    RATE_LIMIT_STORE: z.enum(["redis", "postgres"]).optional(),
    /**
     * Believe X-Forwarded-For from a caller that also sends this secret in X-Leadflow-Forwarding-Secret: the web
     * server, when the API's URL is public (AWS) and TRUST_PROXY must stay off. At least 32 characters.
     */
    FORWARDING_SECRET: z.string().min(32).optional(),
    /**
     * How many proxies we run stand in front of the API (`true` means 1): the client's address is that many
     * entries from the right of X-Forwarded-For, the one our nearest proxy wrote. 0 believes none of it.
     */
    TRUST_PROXY: z
      .string()
      .trim()
      .regex(/^(true|false|\d{1,2})$/, "a number of proxies, or true (1) or false (0)")
      .default("0")
      .transform((v) => (v === "true" ? 1 : v === "false" ? 0 : Number(v))),
    RECONCILE_INTERVAL_MS: positiveInt.default(30_000),
    STALE_STEP_MS: positiveInt.default(120_000),
    WORKER_METRICS_PORT: port.default(9464),
    /** Which queue carries step jobs: BullMQ on Redis (processes, containers) or Amazon SQS (Lambda). */
    QUEUE_DRIVER: z.enum(["bullmq", "sqs"]).default("bullmq"),
    SQS_QUEUE_URL_CLASSIFY: z.string().url().optional(),
    SQS_QUEUE_URL_EXTRACT: z.string().url().optional(),
    SQS_QUEUE_URL_ROUTE: z.string().url().optional(),
    /** The webhook delivery queue on Lambda (functions/lambda/webhooks.ts); outbound events wait in PostgreSQL without it. */
    SQS_QUEUE_URL_WEBHOOKS: z.string().url().optional(),
    /** Only for an SQS-compatible server other than AWS (fauxqs, LocalStack); unset on AWS. */
    SQS_ENDPOINT: z.string().url().optional(),
    /** Set by the Lambda runtime; elsewhere the region is read from the queue URL. */
    AWS_REGION: z.string().optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

    // --- sessions and exposure: where the API listens, whom it believes, what it shows ---
    /** Where the API listens: loopback unless a container or proxy needs it reachable (`0.0.0.0`). */
    API_HOST: z.string().trim().min(1).default("127.0.0.1"),
    /** The API's and worker's login (neither superuser nor owner); migrations keep using DATABASE_URL. */
    DATABASE_APP_URL: z.string().url().optional(),
    /** When set, `/metrics` (API and worker) answers only `Authorization: Bearer <METRICS_TOKEN>`. */
    METRICS_TOKEN: z.string().min(16).optional(),
    /** Where the simulator answers when it is the model (compose: its service name); else 127.0.0.1. */
    SIMULATOR_URL: z.string().url().optional(),
    /** A production process refuses the simulator as its model unless told plainly that it is meant. */
    ALLOW_SIMULATOR_IN_PRODUCTION: z.enum(["true", "false"]).default("false"),

    // --- outbound webhooks (core/webhooks) ---
    /** Deliveries of one event before it is given up as failed (about a day of backoff at the defaults). */
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
    /** The first retry's delay; each later one doubles, with full jitter, up to 6 hours. */
    WEBHOOK_BACKOFF_BASE_MS: positiveInt.default(30_000),
    /** Lets endpoints be plain http and resolve to loopback, private or link-local addresses (tests, local use). */
    WEBHOOK_ALLOW_PRIVATE: z.enum(["true", "false"]).default("false"),
    /**
     * Tries at once in one worker. A try mostly waits on the customer's endpoint (up to 10 s), holding no database
     * connection meanwhile, so many fit: at 16, bench:webhooks' 2,000 routed leads waited 6.9 s (p50) in the queue.
     */
    WEBHOOK_CONCURRENCY: positiveInt.default(64),
    /** Whether this worker delivers webhooks; `false` keeps it to the steps (webhooks then scale on their own). */
    WORKER_WEBHOOKS: z.enum(["true", "false"]).default("true"),
  })
  .transform((env, ctx) => {
    const provider = env.LLM_PROVIDER ?? (env.OPENAI_API_KEY ? "openai" : "simulator");
    if (env.QUEUE_DRIVER === "sqs") {
      for (const key of ["SQS_QUEUE_URL_CLASSIFY", "SQS_QUEUE_URL_EXTRACT", "SQS_QUEUE_URL_ROUTE"] as const) {
        if (!env[key])
          ctx.addIssue({ code: "custom", path: [key], message: "required when QUEUE_DRIVER=sqs" });
      }
    }
    let jwtSecret = env.JWT_SECRET;
    // Required in production only where tokens are signed: see missingSecrets.
    if (env.NODE_ENV !== "production") {
      // A fixed development secret keeps tokens valid across restarts on a laptop; production must set its own.
      jwtSecret ??= DEVELOPMENT_JWT_SECRET;
    }
    // Everyone can read the development secret in this file: with it, anyone who reaches the API can mint tokens.
    if (jwtSecret === DEVELOPMENT_JWT_SECRET && !isLoopback(env.API_HOST)) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: `the development secret is refused unless API_HOST is loopback (it is ${env.API_HOST})`,
      });
    }
    if (jwtSecret && Buffer.byteLength(jwtSecret, "utf8") < 32) {
      ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "must be at least 32 bytes" });
    }
    // The simulator's address is the default for the simulator only: a real key must never travel to the test
    // double (over plain HTTP) because a base URL was left pointing at it.
    const simulatorUrl = env.SIMULATOR_URL ?? `http://127.0.0.1:${env.SIMULATOR_PORT}/v1`;
    const baseURL = provider === "simulator" ? (env.OPENAI_BASE_URL ?? simulatorUrl) : env.OPENAI_BASE_URL;
    const simulated =
      provider === "simulator" || (baseURL !== undefined && sameOrigin(baseURL, simulatorUrl));
    if (simulated && env.NODE_ENV === "production" && env.ALLOW_SIMULATOR_IN_PRODUCTION !== "true") {
      ctx.addIssue({
        code: "custom",
        path: ["LLM_PROVIDER"],
        message: "the simulator answers in production only with ALLOW_SIMULATOR_IN_PRODUCTION=true",
      });
    }
    return {
      ...env,
      JWT_SECRET: jwtSecret ?? "",
      LLM_PROVIDER: provider,
      RATE_LIMIT_STORE: env.RATE_LIMIT_STORE ?? (env.QUEUE_DRIVER === "sqs" ? "postgres" : "redis"),
      PUBLIC_API_URL: (env.PUBLIC_API_URL ?? `http://127.0.0.1:${env.API_PORT}`).replace(/\/+$/, ""),
      llm: {
        provider,
        baseURL,
        /** The answers come from the simulator: by choice, or because the base URL is the simulator's. */
        simulated,
        apiKey: env.OPENAI_API_KEY ?? (provider === "simulator" ? "simulator" : "none"),
        model: env.LLM_MODEL ?? (provider === "simulator" ? "leadflow-simulator" : "gpt-4o-mini"),
        timeoutMs: env.LLM_TIMEOUT_MS,
        maxOutputTokens: env.LLM_MAX_OUTPUT_TOKENS,
        maxTokensParam: env.LLM_MAX_TOKENS_PARAM,
        maxStoredAnswerBytes: env.LLM_MAX_STORED_ANSWER_BYTES,
        requestsPerMinute: env.LLM_REQUESTS_PER_MINUTE ?? null,
        tokensPerMinute: env.LLM_TOKENS_PER_MINUTE ?? null,
        pricing: {
          inputPerMillion: env.LLM_PRICE_INPUT_PER_MTOK,
          outputPerMillion: env.LLM_PRICE_OUTPUT_PER_MTOK,
        },
      },
    };
  });

export type Config = z.infer<typeof envSchema>;

/**
 * Which secrets the process needs, so one that never signs a token or calls a model starts without them (each
 * Lambda gets only its own secrets). A long-running process does it all: every check applies.
 */
export interface ConfigUses {
  /** Signs and verifies session tokens (the API): JWT_SECRET is required in production. */
  tokens: boolean;
  /** Calls the model (the step runners): LLM_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL. */
  model: boolean;
}

const EVERYTHING: ConfigUses = { tokens: true, model: true };

/** The secrets `uses` needs that `env` lacks, judged on the raw environment so they join the other problems. */
function missingSecrets(env: NodeJS.ProcessEnv, uses: ConfigUses): string[] {
  const missing: string[] = [];
  if (uses.tokens && env.NODE_ENV === "production" && !env.JWT_SECRET) {
    missing.push("JWT_SECRET: required in production");
  }
  const provider = env.LLM_PROVIDER ?? (env.OPENAI_API_KEY ? "openai" : "simulator");
  if (uses.model && provider === "openai" && !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
    missing.push("OPENAI_API_KEY: required when LLM_PROVIDER=openai");
  }
  return missing;
}

/** Reads and validates the environment once; a bad value stops start-up with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, uses: ConfigUses = EVERYTHING): Config {
  const parsed = envSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)),
    ...missingSecrets(env, uses),
  ];
  if (problems.length || !parsed.success) {
    throw new Error(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  return parsed.data;
}
