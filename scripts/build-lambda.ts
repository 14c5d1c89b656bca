// `npm run build:lambda`: one esbuild bundle per Lambda function, dist/lambda/<name>/index.mjs, each deployable
// as it is (infra/lambda.ts points sst.aws.Function's `bundle` at the folder). The migrate bundle gets the
// migrations folder beside it, where core/db/migrate.ts looks for it.
import { cp, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

export const LAMBDA_FUNCTIONS = [
  "api",
  "classify",
  "extract",
  "route",
  "dead-letter",
  "reconcile",
  "migrate",
  "webhooks",
  "webhook-dispatch",
] as const;
export type LambdaFunctionName = (typeof LAMBDA_FUNCTIONS)[number];

const root = fileURLToPath(new URL("..", import.meta.url));
export const LAMBDA_DIST = `${root}dist/lambda`;

// CommonJS dependencies (pg and its friends) call require() and read __dirname; an ESM bundle has neither.
const banner = [
  `import { createRequire as __lfCreateRequire } from "node:module";`,
  `import { fileURLToPath as __lfFileURLToPath } from "node:url";`,
  `import { dirname as __lfDirname } from "node:path";`,
  `const require = __lfCreateRequire(import.meta.url);`,
  `const __filename = __lfFileURLToPath(import.meta.url);`,
  `const __dirname = __lfDirname(__filename);`,
].join("\n");

/**
 * zod 4's `z` namespace re-exports every locale's error messages (a quarter of a megabyte); the app speaks
 * English only, so the bundles keep `en`, the one zod installs by default.
 */
const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: `export { default as en } from "./en.js";`,
      loader: "js",
    }));
  },
};

export interface BuiltBundle {
  name: LambdaFunctionName;
  /** The entry the Lambda handler names (index.handler). */
  file: string;
  /** index.mjs and its chunks: what the function loads, at most. */
  bytes: number;
  /** index.mjs alone: what a cold start loads before the first event asks for more. */
  entryBytes: number;
}

/** The JavaScript of one function: its entry and every chunk beside it. */
export async function bundleBytes(name: LambdaFunctionName) {
  const dir = `${LAMBDA_DIST}/${name}`;
  let bytes = 0;
  for (const f of await readdir(dir, { recursive: true }))
    if (f.endsWith(".mjs")) bytes += (await stat(`${dir}/${f}`)).size;
  return { bytes, entryBytes: (await stat(`${dir}/index.mjs`)).size };
}

export async function buildLambdas(names: readonly LambdaFunctionName[] = LAMBDA_FUNCTIONS) {
  const built: BuiltBundle[] = [];
  for (const name of names) {
    const dir = `${LAMBDA_DIST}/${name}`;
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const file = `${dir}/index.mjs`;
    const result = await build({
      entryPoints: { index: `${root}functions/lambda/${name}.ts` },
      outdir: dir,
      outExtension: { ".js": ".mjs" },
      // Code loaded on demand (the step consumers' OpenAI SDK, on the first model call) goes to chunks/ beside
      // index.mjs.
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      bundle: true,
      platform: "node",
      target: "node24",
      format: "esm",
      minify: true,
      legalComments: "none",
      banner: { js: banner },
      // Optional native add-ons their packages load inside try/catch; the pure-JS paths are used without them.
      external: ["pg-native", "msgpackr-extract"],
      // ESM builds first: they tree-shake far better than CommonJS ones.
      mainFields: ["module", "main"],
      plugins: [zodEnglishOnly],
      logLevel: "warning",
      metafile: true,
    });
    // Beside the bundle, not in it: what each package weighs (esbuild's analyzer reads it).
    await writeFile(`${LAMBDA_DIST}/${name}.meta.json`, JSON.stringify(result.metafile));
    if (name === "migrate") await cp(`${root}core/db/migrations`, `${dir}/migrations`, { recursive: true });
    // The API serves GET /widget.js from beside its bundle (functions/api/routes/widget.ts); importing the
    // widget's build script builds it.
    if (name === "api") {
      const { WIDGET_BUNDLE } = await import("../widget/build.ts");
      await cp(WIDGET_BUNDLE, `${dir}/widget.js`);
    }
    built.push({ name, file, ...(await bundleBytes(name)) });
  }
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildLambdas();
  const kib = (n: number) => `${(n / 1024).toFixed(0).padStart(5)} KiB`;
  console.log("function      index.mjs  with chunks");
  for (const b of built) console.log(`${b.name.padEnd(12)} ${kib(b.entryBytes)}    ${kib(b.bytes)}`);
}
