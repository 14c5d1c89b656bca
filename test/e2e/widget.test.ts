import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { gzipSync } from "node:zlib";
import { serve } from "@hono/node-server";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Pipeline, startPipeline } from "../support/pipeline.ts";
import { launchChromium } from "./chromium.ts";

/**
 * The widget as a visitor meets it: a shop's page on one origin embeds the script served by the API on another,
 * a person opens the chat, fills it in, sends it and sees the confirmation, and the lead appears for the owner.
 */
let pipeline: Pipeline;
let apiServer: ReturnType<typeof serve>;
let shop: Server;
let browser: Browser;
let apiOrigin: string;
let shopOrigin: string;
/** What the shop's page is in the current test. */
let shopPage = "";

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );

beforeAll(async () => {
  pipeline = await startPipeline("widget");
  apiServer = serve({ fetch: pipeline.api.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => apiServer.once("listening", resolve));
  apiOrigin = `http://127.0.0.1:${(apiServer.address() as { port: number }).port}`;
  shop = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(shopPage);
  });
  // "localhost" and 127.0.0.1 are different origins, so the widget's post is a real cross-origin request.
  shopOrigin = `http://localhost:${await listen(shop)}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  shop?.close();
  apiServer?.close();
  await pipeline?.close();
});

describe("web-chat widget", () => {
  it("is at most 10 KB gzipped", () => {
    const bundle = readFileSync(new URL("../../widget/dist/widget.js", import.meta.url));
    const gzipped = gzipSync(bundle, { level: 9 }).length;
    console.log(`widget.js: ${bundle.length} bytes, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThanOrEqual(10 * 1024);
  });

  it("takes a visitor's message on another site and makes a lead for the channel's owner", async () => {
    const owner = await pipeline.api.signup();
    const created = await pipeline.api.call("POST", "/channels", {
      token: owner.token,
      body: { type: "webchat", name: "Shop chat", settings: { allowed_origins: [shopOrigin] } },
    });
    expect(created.status).toBe(201);
    const key = created.json.public_key as string;
    // The page's own CSS hides every button: the widget's, in its Shadow DOM, must still show.
    shopPage =
      `<!doctype html><html lang="en"><head><title>Shop</title><style>button{display:none}</style></head>` +
      `<body><h1>Our shop</h1><script src="${apiOrigin}/widget.js" data-leadflow-key="${key}" async></script></body></html>`;

    const page = await browser.newPage();
    try {
      await page.goto(`${shopOrigin}/`);
      const open = page.getByRole("button", { name: "Chat with us" });
      await open.click();
      await expect.poll(() => open.getAttribute("aria-expanded")).toBe("true");
      await page.getByLabel("Your name").fill("Noor Haddad");
      await page.getByLabel("Email or phone (optional)").fill("noor@example.org");
      await page
        .getByRole("textbox", { name: "Message" })
        .fill("Can you deep-clean a 2-bedroom flat on Saturday?");
      await page.getByRole("button", { name: "Send" }).click();
      await page.getByRole("status").getByText("your message was received", { exact: false }).waitFor();

      const leads = (await pipeline.api.call("GET", "/leads", { token: owner.token })).json.items;
      expect(leads).toHaveLength(1);
      const lead = await pipeline.waitForTerminal(owner.token, leads[0].id);
      expect(lead).toMatchObject({
        name: "Noor Haddad",
        contact: "noor@example.org",
        contact_channel: "webchat",
        message: "Can you deep-clean a 2-bedroom flat on Saturday?",
      });
      expect(lead.workflow.status).toBe("completed");
    } finally {
      await page.close();
    }
  });

  it("shows the error on a page whose origin the channel does not allow, and makes nothing", async () => {
    const owner = await pipeline.api.signup();
    const created = await pipeline.api.call("POST", "/channels", {
      token: owner.token,
      body: {
        type: "webchat",
        name: "Other chat",
        settings: { allowed_origins: ["https://elsewhere.example"] },
      },
    });
    const key = created.json.public_key as string;
    shopPage =
      `<!doctype html><html lang="en"><head><title>Shop</title></head><body>` +
      `<script src="${apiOrigin}/widget.js" data-leadflow-key="${key}" async></script></body></html>`;
    const page = await browser.newPage();
    try {
      await page.goto(`${shopOrigin}/`);
      await page.getByRole("button", { name: "Chat with us" }).click();
      await page.getByLabel("Your name").fill("Sam");
      await page.getByRole("textbox", { name: "Message" }).fill("Hello?");
      await page.getByRole("button", { name: "Send" }).click();
      await page.getByRole("status").getByText("could not be sent", { exact: false }).waitFor();
      expect((await pipeline.api.call("GET", "/leads", { token: owner.token })).json.items).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
