// `npm start`: the whole system on one machine. Migrations have run (package.json does that first); this starts
// the simulator (when it is the model), the API, the worker and the web app, and stops them all together.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../core/config.ts";
import { appRoleUrl } from "../core/db/app-role.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const config = loadConfig();
const children = new Map<string, ChildProcess>();
let stopping = false;

function start(name: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  children.set(name, child);
  child.on("exit", (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(
        JSON.stringify({ level: "error", msg: `${name} exited; stopping leadflow`, code, signal }),
      );
      stop(code ?? 1);
    } else if (children.size === 0) process.exit(process.exitCode ?? 0);
  });
}

function stop(code: number) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children.values()) child.kill("SIGTERM");
  if (children.size === 0) process.exit(code);
  setTimeout(() => process.exit(code), 15_000).unref();
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

const simulated = config.LLM_PROVIDER === "simulator" && !process.env.OPENAI_BASE_URL;
if (simulated) start("simulator", ["functions/simulator/main.ts"]);
// The API and the worker log in as the app role the migrations created (never the superuser of DATABASE_URL):
// without a password where PostgreSQL trusts local connections; set DATABASE_APP_URL where it does not.
const appDatabase = { DATABASE_APP_URL: process.env.DATABASE_APP_URL ?? appRoleUrl(config.DATABASE_URL) };
// The web server is the one proxy in front of the API (which listens on loopback, API_HOST): it sends each
// browser's address to X-Forwarded-For, so per-address login limits apply to browsers, not to the web server.
start("api", ["functions/api/main.ts"], { ...appDatabase, TRUST_PROXY: process.env.TRUST_PROXY ?? "1" });
start("worker", ["functions/worker/main.ts"], appDatabase);

if (existsSync(`${root}/web/vite.config.ts`)) {
  if (!existsSync(`${root}/web/build/index.js`)) {
    const build = spawnSync("npm", ["run", "build", "-w", "web"], { cwd: root, stdio: "inherit" });
    if (build.status !== 0) stop(build.status ?? 1);
  }
  const apiUrl = process.env.API_URL ?? `http://127.0.0.1:${config.API_PORT}`;
  start("web", ["web/build/index.js"], {
    PORT: String(config.WEB_PORT),
    API_URL: apiUrl,
    LLM_PROVIDER: config.LLM_PROVIDER,
  });
}
