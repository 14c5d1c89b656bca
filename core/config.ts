import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
/** Unset (or empty) means no limit. */
const optionalLimit = z.preprocess((v) => (v === "" ? undefined : v), positiveInt.optional());
const usdPerMillionTokens = z.coerce.number().min(0).max(10_000).default(0);

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
    JWT_TTL_SECONDS: positiveInt.default(3600),
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
    /** Believe X-Forwarded-For (only behind a load balancer or CDN we run). */
    TRUST_PROXY: z
      .enum(["true", "false", "1", "0"])
      .default("false")
      .transform((v) => v === "true" || v === "1"),
    RECONCILE_INTERVAL_MS: positiveInt.default(30_000),
    STALE_STEP_MS: positiveInt.default(120_000),
    WORKER_METRICS_PORT: port.default(9464),
    /** Which queue carries step jobs: BullMQ on Redis (processes, containers) or Amazon SQS (Lambda). */
    QUEUE_DRIVER: z.enum(["bullmq", "sqs"]).default("bullmq"),
    SQS_QUEUE_URL_CLASSIFY: z.string().url().optional(),
    SQS_QUEUE_URL_EXTRACT: z.string().url().optional(),
    SQS_QUEUE_URL_ROUTE: z.string().url().optional(),
    /** Only for an SQS-compatible server other than AWS (fauxqs, LocalStack); unset on AWS. */
    SQS_ENDPOINT: z.string().url().optional(),
    /** Set by the Lambda runtime; elsewhere the region is read from the queue URL. */
    AWS_REGION: z.string().optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .transform((env, ctx) => {
    const provider = env.LLM_PROVIDER ?? (env.OPENAI_API_KEY ? "openai" : "simulator");
    if (provider === "openai" && !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["OPENAI_API_KEY"],
        message: "required when LLM_PROVIDER=openai",
      });
    }
    if (env.QUEUE_DRIVER === "sqs") {
      for (const key of ["SQS_QUEUE_URL_CLASSIFY", "SQS_QUEUE_URL_EXTRACT", "SQS_QUEUE_URL_ROUTE"] as const) {
        if (!env[key])
          ctx.addIssue({ code: "custom", path: [key], message: "required when QUEUE_DRIVER=sqs" });
      }
    }
    let jwtSecret = env.JWT_SECRET;
    if (env.NODE_ENV === "production") {
      if (!jwtSecret)
        ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "required in production" });
    } else {
      // A fixed development secret keeps tokens valid across restarts on a laptop; production must set its own.
      jwtSecret ??= "leadflow-development-secret-do-not-use-in-production";
    }
    if (jwtSecret && Buffer.byteLength(jwtSecret, "utf8") < 32) {
      ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "must be at least 32 bytes" });
    }
    const simulatorUrl = `http://127.0.0.1:${env.SIMULATOR_PORT}/v1`;
    return {
      ...env,
      JWT_SECRET: jwtSecret ?? "",
      LLM_PROVIDER: provider,
      RATE_LIMIT_STORE: env.RATE_LIMIT_STORE ?? (env.QUEUE_DRIVER === "sqs" ? "postgres" : "redis"),
      llm: {
        provider,
        baseURL: provider === "simulator" ? (env.OPENAI_BASE_URL ?? simulatorUrl) : env.OPENAI_BASE_URL,
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

/** Reads and validates the environment once; a bad value stops start-up with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  return parsed.data;
}
