// One cold start, run by bench/cold-start.ts in a fresh `node` process: imports the bundle and serves the event
// it is handed, then prints the timings. It imports nothing else, so nothing is warm before the bundle loads, and
// it is plain JavaScript so that Node's TypeScript stripping does not run first either.
const [bundle, eventJson, functionName = "leadflow-bench"] = process.argv.slice(2);
if (!bundle || !eventJson) throw new Error("usage: cold-start-child.ts <bundle.mjs> <event json> [name]");
const event = JSON.parse(eventJson);
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
  memoryLimitInMB: "1024",
  awsRequestId: "00000000-0000-4000-8000-000000000000",
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: "bench",
  getRemainingTimeInMillis: () => 30_000,
};

// What node's own start-up cost, for scale: the same work takes longer on a busier machine.
const startup = process.cpuUsage();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const mod = await import(`file://${bundle}`);
const t1 = performance.now();
const result = await mod.handler(event, context);
const t2 = performance.now();
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ import_ms: t1 - t0, first_event_ms: t2 - t1, cpu_ms: (cpu.user + cpu.system) / 1000, startup_cpu_ms: (startup.user + startup.system) / 1000, result })}\n`,
);
// Database pools would keep the process alive.
process.exit(0);
