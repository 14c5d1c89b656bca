// `npm run start:web`: the built SvelteKit server on WEB_PORT, pointed at the API (adapter-node reads PORT).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../core/config.ts";

const config = loadConfig();
const root = fileURLToPath(new URL("..", import.meta.url));
const child = spawn(process.execPath, ["web/build/index.js"], {
  cwd: root,
  stdio: "inherit",
  env: {
    ...process.env,
    PORT: String(config.WEB_PORT),
    API_URL: process.env.API_URL ?? `http://127.0.0.1:${config.API_PORT}`,
  },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
