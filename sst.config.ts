/// <reference path="./.sst/platform/config.d.ts" />

// The cloud app: `npx sst deploy --stage <name>` (docs/deploy.md). Resources live in infra/, one file per group.
export default $config({
  app(input) {
    return {
      name: "leadflow",
      home: "aws",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
    };
  },
  async run() {
    await import("./infra/network.ts");
    await import("./infra/secrets.ts");
    await import("./infra/database.ts");
    await import("./infra/migrations.ts");
    const { stepQueues } = await import("./infra/queues.ts");
    await import("./infra/webhooks.ts");
    const { api } = await import("./infra/api.ts");
    const { web } = await import("./infra/web.ts");
    return {
      api: api.url,
      web: web.url,
      classifyQueue: stepQueues.classify.url,
    };
  },
});
