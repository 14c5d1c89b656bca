import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;

describe("sst.config.ts and infra/", () => {
  it("install offline and type-check against the real SST types", { timeout: 180_000 }, async () => {
    // `sst install` writes .sst/platform (the SST components and their types) and runs the config's app().
    await run("npx", ["sst", "install", "--stage", "ci"], {
      cwd: root,
      env: {
        ...process.env,
        SST_NO_BUN: "1",
        SST_SKIP_DEPENDENCY_CHECK: "1",
        SST_TELEMETRY_DISABLED: "1",
        XDG_CONFIG_HOME: `${root}.xdg`,
      },
    });
    expect(existsSync(`${root}.sst/platform/config.d.ts`)).toBe(true);

    const tsc = await run("npx", ["tsc", "--noEmit", "-p", "infra/tsconfig.json"], { cwd: root }).catch(
      (err: { stdout?: string; stderr?: string }) => ({
        failed: true,
        stdout: err.stdout,
        stderr: err.stderr,
      }),
    );
    expect("failed" in tsc ? `${tsc.stdout}${tsc.stderr}` : "").toBe("");
  });
});
