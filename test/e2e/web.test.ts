import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagnoseOnFailure as diagnose, SCREENSHOTS } from "./browser.ts";
import { launchChromium } from "./chromium.ts";
import { watchConsole } from "./console.ts";
import { type Stack, startStack } from "./stack.ts";

const PASSWORD = "correct horse battery";
const JS_BUDGET_BYTES = 100 * 1024;

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  // Every model call takes a few hundred ms, so a workflow visibly runs for a second or two.
  stack = await startStack({ simulatorLatencyMs: { min: 200, max: 350 } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const diagnoseOnFailure = (page: Page, name: string) => diagnose(page, name, () => stack.webOutput());

/**
 * The JavaScript a page loaded since its document was opened (so call it on a page reached by a full load, once
 * it is interactive), gzipped as a server would send it.
 */
async function pageJsBytes(page: Page): Promise<number> {
  const urls = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .map((entry) => entry.name)
      .filter((name) => new URL(name).pathname.endsWith(".js")),
  );
  let total = 0;
  for (const url of new Set(urls)) {
    const body = await (await page.request.get(url)).body();
    total += gzipSync(body, { level: 9 }).length;
  }
  return total;
}

async function sessionCookie(context: BrowserContext) {
  return (await context.cookies()).find((c) => c.name === "leadflow_session");
}

async function submitLead(page: Page, lead: { name: string; message: string; contact?: string }) {
  await page.getByLabel("Name", { exact: true }).fill(lead.name);
  await page.getByLabel("Channel").selectOption("email");
  await page.getByLabel(/^Contact/).fill(lead.contact ?? "");
  await page.getByLabel("Message").fill(lead.message);
  await page.getByRole("button", { name: "Submit lead" }).click();
  const created = page.getByTestId("lead-created").filter({ hasText: lead.name });
  await created.waitFor();
  return (await created.getByRole("link").getAttribute("href"))!;
}

const stepStatuses = (page: Page) =>
  page.evaluate(() =>
    ["classify", "extract", "route"].map(
      (name) => document.querySelector(`[data-testid="step-${name}"]`)?.getAttribute("data-status") ?? null,
    ),
  );

describe("web UI end to end (Chromium, real API, worker and simulator)", () => {
  it("signs up, submits leads, follows them live, retries a failure, and keeps users apart", async () => {
    const problems: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watchConsole(page, problems);
    diagnoseOnFailure(page, "main");
    const email = `e2e-${randomUUID()}@example.test`;

    // Anonymous: / goes to /login, and the simulator banner is on every page. Signing up lands in the inbox.
    await page.goto(stack.webUrl);
    expect(new URL(page.url()).pathname).toBe("/login");
    await expect(page.getByTestId("simulator-banner").textContent()).resolves.toContain(
      "Answers come from the leadflow simulator, a test double, not a real model",
    );

    const jsBytes: Record<string, number> = { "/login": await pageJsBytes(page) };

    // Sign up: a short password comes back inline from the API, the email stays typed.
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByRole("heading", { name: "Create your account" }).waitFor();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create your account" }).click();
    await expect(page.locator("#password-error").textContent()).resolves.toMatch(/at least 8/);
    expect(await page.getByLabel("Email").inputValue()).toBe(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create your account" }).click();
    await page.waitForURL(/\/inbox$/);

    // The token: httpOnly, SameSite=Lax, not Secure over plain http, and nowhere a script or the page can see.
    const cookie = await sessionCookie(context);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/" });
    expect(cookie!.value.split(".")).toHaveLength(3);
    expect(await page.content()).not.toContain(cookie!.value);
    const rawHtml = await (await context.request.get(`${stack.webUrl}/leads`)).text();
    expect(rawHtml).toContain("Your leads");
    expect(rawHtml).not.toContain(cookie!.value);
    expect(await page.evaluate(() => document.cookie)).not.toContain(cookie!.value);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).toBe("{}");

    // Sign out, then back in. Signing out revokes the token at the API: a copy taken before is refused too.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login\?reason=signed_out/);
    expect(await sessionCookie(context)).toBeUndefined();
    const copied = await fetch(`${stack.apiUrl}/auth/me`, {
      headers: { authorization: `Bearer ${cookie!.value}` },
    });
    expect(copied.status).toBe(401);
    await page.goto(`${stack.webUrl}/leads`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/leads$/);
    await page.getByTestId("leads-empty").waitFor();

    // A lead the API refuses: the field error is shown inline and what was typed is kept.
    await page.getByLabel("Name", { exact: true }).fill("   ");
    await page.getByLabel("Message").fill("Kept as typed, please");
    await page.getByRole("button", { name: "Submit lead" }).click();
    await expect(page.locator("#lead-name-error").textContent()).resolves.toMatch(/empty or only whitespace/);
    expect(await page.getByLabel("Message").inputValue()).toBe("Kept as typed, please");
    expect(await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid")).toBe("true");

    // A good lead appears at once as pending (or already processing) and completes in the list, no reload.
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    const leadPath = await submitLead(page, {
      name: "Dana Whitfield",
      contact: "dana@example.test",
      message: `How much for a deep clean of a 3-bedroom flat in Leeds next Friday? Budget about 300. (${randomUUID()})`,
    });
    const firstRow = page.getByTestId("lead-row").first();
    expect(["pending", "processing"]).toContain(await firstRow.getAttribute("data-status"));
    await page.waitForSelector('[data-testid="lead-row"][data-status="completed"]', { timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await expect(firstRow.textContent()).resolves.toMatch(/Sales · new/);

    // A second lead, followed on its own page: the three steps complete in the timeline without a reload.
    // Each model call of this lead takes a second more, so the page is open while the steps run even when the
    // machine is busy (without it the workflow could finish before the page first looked, and "seen running"
    // would fail by chance).
    const liveMessage = `Need a quote for weekly office cleaning, 12 rooms, in Bristol. (${randomUUID()}) [[sim delay=1000]]`;
    const livePath = await submitLead(page, { name: "Office Quote Ltd", message: liveMessage });
    await page.getByRole("link", { name: "Office Quote Ltd" }).click();
    await page.waitForURL(`**${livePath}`);
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    const seen = new Set<string>();
    const started = Date.now();
    while (Date.now() - started < 20_000) {
      const statuses = await stepStatuses(page);
      seen.add(statuses.join(","));
      if (statuses.every((s) => s === "completed")) break;
      await page.waitForTimeout(100);
    }
    expect(await stepStatuses(page)).toEqual(["completed", "completed", "completed"]);
    expect([...seen].length).toBeGreaterThan(1); // it was seen running, then done
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await expect(page.getByTestId("workflow-status").textContent()).resolves.toContain("Completed");
    await expect(page.getByTestId("category").textContent()).resolves.toBe("Sales · new");
    await expect(page.getByTestId("confidence").first().textContent()).resolves.toMatch(/^\d+%$/);
    await expect(page.getByTestId("queue").textContent()).resolves.toBe("Sales");
    await expect(page.getByTestId("sla-deadline").textContent()).resolves.toMatch(/Respond by/);
    expect(await page.getByTestId("extraction").locator("tbody tr").count()).toBeGreaterThan(5);
    // Raw JSON and the model's raw answers are one click away.
    await page.getByTestId("raw-attempts").locator("summary").click();
    await expect(page.getByTestId("raw-attempts").locator("pre").first().isVisible()).resolves.toBe(true);
    await page.getByTestId("raw-attempts").locator("summary").click();
    await page.screenshot({ path: `${SCREENSHOTS}lead-completed.png`, fullPage: true });

    // A forced permanent failure: its code and sentence are shown, then Retry resumes it to completion.
    await page.goto(`${stack.webUrl}/leads`);
    const failingPath = await submitLead(page, {
      name: "Failing Fiona",
      message: `My cleaner never showed up today, I want a refund. (${randomUUID()}) [[sim classify=http_401*1]]`,
    });
    await page.goto(`${stack.webUrl}${failingPath}`);
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    await page.waitForSelector('[data-testid="workflow-status"] [data-status="failed"]', { timeout: 15_000 });
    await expect(page.getByTestId("step-error-code").textContent()).resolves.toBe("LLM_AUTH");
    await expect(page.getByTestId("step-error-message").textContent()).resolves.toMatch(
      /^The model server refused our credentials \(HTTP 401\)\.$/,
    );
    await expect(page.getByTestId("workflow-error-code").textContent()).resolves.toBe("LLM_AUTH");
    expect(await stepStatuses(page)).toEqual(["failed", "skipped", "skipped"]);
    await expect(page.getByTestId("failed-step").locator("table tbody tr").count()).resolves.toBeGreaterThan(
      0,
    );
    await page.screenshot({ path: `${SCREENSHOTS}lead-failed.png`, fullPage: true });
    jsBytes["/leads/[id]"] = await pageJsBytes(page);

    // The list, with a failed and two completed leads.
    await page.goto(`${stack.webUrl}/leads`);
    await expect.poll(() => page.getByTestId("lead-row").count()).toBe(3);
    expect(await page.getByTestId("lead-row").first().getAttribute("data-status")).toBe("failed");
    await page.screenshot({ path: `${SCREENSHOTS}leads-list.png`, fullPage: true });
    jsBytes["/leads"] = await pageJsBytes(page);

    await page.goto(`${stack.webUrl}${failingPath}`);
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    await page.getByTestId("retry").click();
    await page.waitForSelector('[data-testid="workflow-status"] [data-status="completed"]', {
      timeout: 20_000,
    });
    expect(await stepStatuses(page)).toEqual(["completed", "completed", "completed"]);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await expect(page.getByTestId("failed-step").count()).resolves.toBe(0);

    // Filters live in the URL; then the list at a phone's width.
    await page.goto(`${stack.webUrl}/`);
    expect(new URL(page.url()).pathname).toBe("/inbox");
    await page.goto(`${stack.webUrl}/leads`);
    await page.getByLabel("Status").selectOption("completed");
    await page.waitForURL(/status=completed/);
    await expect.poll(() => page.getByTestId("lead-row").count()).toBe(3);
    await page.getByLabel("Category").selectOption("spam");
    await page.waitForURL(/category=spam/);
    await page.getByTestId("leads-empty").waitFor();
    await page.goto(`${stack.webUrl}/leads`);
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: `${SCREENSHOTS}leads-list-360px.png`, fullPage: true });
    await page.goto(`${stack.webUrl}${leadPath}`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.setViewportSize({ width: 1280, height: 900 });

    // The overview's charts over the chosen period.
    await page.goto(`${stack.webUrl}/overview?period=24h`);
    await expect(page.getByTestId("total-leads").textContent()).resolves.toBe("3");
    expect(await page.locator("figure.chart svg").count()).toBeGreaterThanOrEqual(4);
    // The retried failure still counts, and is no longer open.
    await expect(
      page.locator("figure.chart").filter({ hasText: "Failure rate" }).locator("svg").textContent(),
    ).resolves.toMatch(/LLM_AUTH.*33% · 1 \(0 open\)/);
    await expect(
      page.getByRole("link", { name: "Last 24 hours" }).getAttribute("aria-current"),
    ).resolves.toBe("page");
    await page.screenshot({ path: `${SCREENSHOTS}overview.png`, fullPage: true });
    jsBytes["/overview"] = await pageJsBytes(page);

    // No page ships more than 100 KB of gzipped JavaScript.
    console.log(
      "client JavaScript per page (first load, gzipped):",
      Object.fromEntries(Object.entries(jsBytes).map(([path, n]) => [path, `${(n / 1024).toFixed(1)} KB`])),
    );
    for (const [path, bytes] of Object.entries(jsBytes)) {
      expect(bytes, `${path} JavaScript, gzipped`).toBeGreaterThan(1024);
      expect(bytes, `${path} JavaScript, gzipped`).toBeLessThan(JS_BUDGET_BYTES);
    }

    // A token the API refuses sends the user to /login with a message.
    await context.addCookies([{ name: "leadflow_session", value: "not.a.token", url: stack.webUrl }]);
    await page.goto(`${stack.webUrl}/leads`);
    await page.waitForURL(/\/login\?reason=expired/);
    await expect(page.getByTestId("auth-notice").textContent()).resolves.toMatch(/session has expired/);
    expect(await sessionCookie(context)).toBeUndefined();

    // A second user sees none of the first user's leads, not even by URL.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    // Its own problems count too: the 404 page below must render without script errors.
    watchConsole(otherPage, problems);
    await otherPage.goto(`${stack.webUrl}/signup`);
    await otherPage.getByLabel("Email").fill(`e2e-other-${randomUUID()}@example.test`);
    await otherPage.getByLabel("Password").fill(PASSWORD);
    await otherPage.getByRole("button", { name: "Create your account" }).click();
    await otherPage.waitForURL(/\/inbox$/);
    await otherPage.getByTestId("inbox-empty").waitFor();
    await otherPage.goto(`${stack.webUrl}/leads`);
    await otherPage.getByTestId("leads-empty").waitFor();
    expect(await otherPage.getByTestId("lead-row").count()).toBe(0);
    const response = await otherPage.goto(`${stack.webUrl}${leadPath}`);
    expect(response?.status()).toBe(404);
    await expect(otherPage.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Not found");
    expect(await otherPage.content()).not.toContain("Dana Whitfield");
    await other.close();

    await context.close();
    expect(problems).toEqual([]);
  }, 90_000);

  it("follows a transient failure live: the step is retried and the lead completes without a reload", async () => {
    const problems: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watchConsole(page, problems);
    diagnoseOnFailure(page, "retry");
    await page.goto(`${stack.webUrl}/signup`);
    await page.getByLabel("Email").fill(`e2e-retry-${randomUUID()}@example.test`);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create your account" }).click();
    await page.waitForURL(/\/inbox$/);
    await page.goto(`${stack.webUrl}/leads`);

    // The model answers classify's first call with an HTTP 500: a transient failure, retried through the queue.
    // Every call of this lead takes a second more, so the page is open while the retry is pending.
    const retryPath = await submitLead(page, {
      name: "Retrying Rhea",
      message: `Could you quote for cleaning our shop windows in Bath every month? (${randomUUID()}) [[sim classify=http_500*1 delay=1000]]`,
    });
    await page.goto(`${stack.webUrl}${retryPath}`);
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    const classifyAttempts = () =>
      page.getByTestId("step-classify").getByTestId("step-attempts").textContent();
    const seen = new Set<string>();
    const started = Date.now();
    while (Date.now() - started < 25_000) {
      const statuses = await stepStatuses(page);
      seen.add(`${statuses.join(",")} classify attempts ${await classifyAttempts()}`);
      if (statuses.every((s) => s === "completed")) break;
      await page.waitForTimeout(100);
    }
    expect(await stepStatuses(page)).toEqual(["completed", "completed", "completed"]);
    // The failed first call was on screen while the step waited for its retry, then the retry completed it.
    expect([...seen].some((s) => !s.startsWith("completed") && s.endsWith("classify attempts 1"))).toBe(true);
    await expect(classifyAttempts()).resolves.toBe("2");
    await expect(page.getByTestId("step-extract").getByTestId("step-attempts").textContent()).resolves.toBe(
      "1",
    );
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await expect(page.getByTestId("workflow-status").textContent()).resolves.toContain("Completed");
    await expect(page.getByTestId("failed-step").count()).resolves.toBe(0);
    // The model calls, also updated live: the first one failed with the transient code, the second succeeded.
    await page.getByTestId("raw-attempts").locator("summary").click();
    const calls = page.getByTestId("raw-attempts").locator("article h3");
    await expect(calls.nth(0).textContent()).resolves.toMatch(
      /Classify · call 1 ·\s*error\s*·\s*LLM_UNAVAILABLE/,
    );
    await expect(calls.nth(1).textContent()).resolves.toMatch(/Classify · call 2 ·\s*succeeded/);
    await page.screenshot({ path: `${SCREENSHOTS}lead-retried.png`, fullPage: true });

    await context.close();
    expect(problems).toEqual([]);
  }, 45_000);

  it("works without JavaScript and refuses cross-site form posts", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    diagnoseOnFailure(page, "nojs");
    const email = `e2e-nojs-${randomUUID()}@example.test`;
    await page.goto(`${stack.webUrl}/signup`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create your account" }).click();
    await page.waitForURL(/\/inbox$/);
    await page.goto(`${stack.webUrl}/leads`);

    // A refused lead: the page comes back from the server with the errors and every typed value.
    await page.getByLabel("Name", { exact: true }).fill("No Script Nora");
    await page.getByLabel("Channel").selectOption("webchat");
    await page.getByLabel(/^Contact/).fill("@nora");
    await page.getByLabel("Message").fill(" \n ");
    await page.getByRole("button", { name: "Submit lead" }).click();
    await expect(page.locator("#lead-message-error").textContent()).resolves.toMatch(
      /empty or only whitespace/,
    );
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("No Script Nora");
    expect(await page.getByLabel("Channel").inputValue()).toBe("webchat");
    expect(await page.getByLabel(/^Contact/).inputValue()).toBe("@nora");

    await page.getByLabel("Message").fill(`Do you clean carpets in York? (${randomUUID()})`);
    await page.getByRole("button", { name: "Submit lead" }).click();
    await page.getByTestId("lead-created").waitFor();
    expect(await page.getByTestId("lead-row").count()).toBe(1);

    // Another site posting a form here is refused before it reaches any action.
    const forged = await context.request.post(`${stack.webUrl}/leads?/create`, {
      headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      data: "name=Forged&contact_channel=email&message=hello",
    });
    expect(forged.status()).toBe(403);
    const loggedOut = await context.request.post(`${stack.webUrl}/logout`, {
      headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
      data: "",
    });
    expect(loggedOut.status()).toBe(403);

    // Pagination: 20 a page, newest first, with an opaque cursor in the URL.
    const token = (await sessionCookie(context))!.value;
    for (let i = 1; i <= 20; i++) {
      const res = await fetch(`${stack.apiUrl}/leads`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({
          name: `Batch ${i}`,
          contact_channel: "other",
          message: `Batch lead ${i} ${randomUUID()}`,
        }),
      });
      expect(res.status).toBe(202);
    }
    await page.goto(`${stack.webUrl}/leads`);
    expect(await page.getByTestId("lead-row").count()).toBe(20);
    await expect(page.getByTestId("lead-row").first().textContent()).resolves.toContain("Batch 20");
    await page.getByTestId("older").click();
    expect(page.url()).toMatch(/cursor=/);
    expect(await page.getByTestId("lead-row").count()).toBe(1);
    await expect(page.getByTestId("lead-row").first().textContent()).resolves.toContain("No Script Nora");
    await page.getByRole("link", { name: "← Newest" }).click();
    expect(await page.getByTestId("lead-row").count()).toBe(20);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login\?reason=signed_out/);
    await context.close();
  }, 30_000);

  it("keeps what was typed before the page's scripts loaded", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    diagnoseOnFailure(page, "early-typing");
    // The app's scripts are held back until the form has been typed into, as on a slow connection.
    let release!: () => void;
    const scriptsMayLoad = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = 0;
    await page.route("**/_app/immutable/**", async (route) => {
      held++;
      await scriptsMayLoad;
      await route.continue();
    });
    await page.goto(`${stack.webUrl}/login`, { waitUntil: "commit" });
    await page.getByLabel("Email").fill("early@example.test");
    expect(held).toBeGreaterThan(0);
    release();
    await page.waitForLoadState("networkidle");
    expect(await page.getByLabel("Email").inputValue()).toBe("early@example.test");

    // And the page did hydrate: a link now navigates on the client, in the same document. A marker on the window
    // survives only that; a full load would open a new window without it (and would not be over when a load
    // counter was read right after the heading appeared).
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.waitForURL(/\/signup$/);
    await page.getByRole("heading", { name: "Create your account" }).waitFor();
    await page.waitForLoadState("load");
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    await context.close();
  });
});
