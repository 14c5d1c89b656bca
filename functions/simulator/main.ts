import { loadConfig } from "@leadflow/core/config";
import { simulatorSettingsFromEnv } from "./options.ts";
import { startSimulator } from "./server.ts";

// Standalone: `node functions/simulator/main.ts`. SIMULATOR_HOST=0.0.0.0 exposes it outside a container.
const config = loadConfig();
const simulator = await startSimulator({
  port: config.SIMULATOR_PORT,
  host: process.env.SIMULATOR_HOST ?? "127.0.0.1",
  ...simulatorSettingsFromEnv(),
});
console.log(JSON.stringify({ msg: "simulator listening", url: simulator.url, port: simulator.port }));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
