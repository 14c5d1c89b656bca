import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait.ts";
import { launchChromium } from "./chromium.ts";
import { type Stack, startStack } from "./stack.ts";

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("a workflow held back by the provider's Retry-After (Chromium)", () => {
  it("says so on the lead page, with when it resumes, and the notice clears when it runs on", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(err.message));

    await page.goto(`${stack.webUrl}/signup`);
    await page.getByLabel("Email").fill(`waiting-${randomUUID()}@example.test`);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create your account" }).click();
    await page.waitForURL(/\/inbox$/);
    const token = (await context.cookies()).find((c) => c.name === "leadflow_session")!.value;
    const submit = async (message: string) => {
      const res = await fetch(`${stack.apiUrl}/leads`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Wendy Waits", contact_channel: "webchat", message }),
      });
      return ((await res.json()) as { id: string }).id;
    };

    // The first lead's first call gets a 429 asking for 6 s: every call to the provider pauses that long.
    const first = await submit("Quote for a hedge [[sim classify=http_429:6*1]]");
    // The 429 must have come back before the second lead is sent, or that one might be called first.
    await waitFor(
      async () => {
        const res = await fetch(`${stack.apiUrl}/leads/${first}/attempts`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const { items } = (await res.json()) as { items: { error: { code: string } | null }[] };
        return items.some((a) => a.error?.code === "LLM_RATE_LIMITED") ? true : undefined;
      },
      5_000,
      "the first lead's 429",
    );
    const held = await submit("Quote for a fence, please");

    await page.goto(`${stack.webUrl}/leads/${held}`);
    const notice = page.getByTestId("workflow-waiting");
    await notice.waitFor({ timeout: 5_000 });
    expect(await notice.getAttribute("data-reason")).toBe("provider_rate_limit");
    expect(await notice.textContent()).toMatch(
      /Waiting for the model provider\..*Resumes .* UTC \((in|any moment)/s,
    );

    // No reload: the page follows the workflow, and the notice goes once the step runs.
    await page.getByTestId("workflow-status").filter({ hasText: "Completed" }).waitFor({ timeout: 20_000 });
    expect(await notice.count()).toBe(0);
    expect(await page.getByTestId("workflow-usage").textContent()).toMatch(/Model use: [\d,]+ tokens/);
    expect(problems).toEqual([]);
    await context.close();
  });
});
