import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { waitFor } from "../support/wait.ts";
import { change, contact, notification, signWhatsApp, textMessage } from "../support/whatsapp.ts";
import { launchChromium } from "./chromium.ts";
import { watchConsole } from "./console.ts";
import { type Stack, startStack } from "./stack.ts";

const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const QUEUE_WORDS: Record<string, string> = { sales: "Sales", support: "Support", ignore: "Ignore" };
const PRIORITY_WORDS: Record<string, string> = { p0: "P0 · critical", p1: "P1 · high", p2: "P2 · normal" };
const CATEGORY_WORDS: Record<string, string> = { sales_new: "Sales · new", support: "Support" };

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const api = (token: string, method: string, path: string, body?: unknown) =>
  stack.call(method, path, token, body);

/** A new user, signed in through the API; the browser context carries its session cookie as the web app sets it. */
async function signedIn(options: { javaScriptEnabled?: boolean } = {}) {
  const res = await fetch(`${stack.apiUrl}/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      email: `lead-page-${randomUUID()}@example.test`,
      password: "correct horse battery",
    }),
  });
  expect(res.status).toBe(201);
  const token = ((await res.json()) as { access_token: string }).access_token;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await addSession(context, token);
  return { token, context };
}

const addSession = (context: BrowserContext, token: string) =>
  context.addCookies([{ name: "leadflow_session", value: token, url: stack.webUrl }]);

async function submitLead(token: string, message: string, name = "Dana Whitfield") {
  const res = await api(token, "POST", "/leads", {
    name,
    contact_channel: "email",
    contact: "dana@example.test",
    message: `${message} (${randomUUID()})`,
  });
  expect(res.status).toBe(202);
  return res.json.id as string;
}

function settled(token: string, id: string, status: "completed" | "failed") {
  return waitFor(
    async () => {
      const lead = (await api(token, "GET", `/leads/${id}`)).json;
      return lead.workflow.status === status ? lead : undefined;
    },
    20_000,
    `lead ${id} ${status}`,
  );
}

/** Every POST the page sends to a form action, so a check in the browser can be shown to have sent none. */
function actionPosts(page: Page) {
  const posts: string[] = [];
  page.on("request", (req) => {
    if (req.method() === "POST") posts.push(req.url());
  });
  return posts;
}

/** A page whose console problems fail the test (`problems` null: JavaScript is off, so its scripts are refused). */
function openPage(context: BrowserContext, problems: string[] | null, name: string) {
  return context.newPage().then((page) => {
    if (problems) watchConsole(page, problems);
    onTestFailed(async () => {
      await page
        .screenshot({ path: `${SCREENSHOTS}failure-lead-page-${name}.png`, fullPage: true })
        .catch(() => {});
      console.error(`failed at ${page.url()}; web server output:\n${stack.webOutput()}`);
    });
    return page;
  });
}

const text = async (page: Page, testId: string) =>
  ((await page.getByTestId(testId).textContent()) ?? "").trim();
/** Waits until the page's scripts run it (+layout.svelte marks <html>): input before that may be reset. */
const hydrated = (page: Page) => page.locator("html[data-hydrated]").waitFor({ state: "attached" });
const squash = (s: string | null) => (s ?? "").replace(/\s+/g, " ").trim();

describe("the lead page: handling, corrections, history (Chromium, real API, worker and simulator)", () => {
  it("corrects a completed lead beside the AI's decision, refuses an SLA outside its window inline with and without JavaScript, and moves it Answered then Reopen", async () => {
    const problems: string[] = [];
    const { token, context } = await signedIn();
    const id = await submitLead(token, "How much for a deep clean of a 3-bedroom flat in Leeds next Friday?");
    const lead = await settled(token, id, "completed");
    const decision = lead.workflow.steps.find((s: any) => s.name === "route").output.routing_decision;
    const priority = decision.priority === "p0" ? "p1" : "p0";
    const [badSla, goodSla] = priority === "p0" ? [300, 45] : [300, 90];
    const queue = decision.queue === "support" ? "sales" : "support";

    const page = await openPage(context, problems, "correct");
    const posts = actionPosts(page);
    await page.goto(`${stack.webUrl}/leads/${id}`);
    await hydrated(page);
    await page.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });
    // Before any correction: the AI's values are in effect, and the person's column says nothing was corrected.
    expect(await text(page, "ai-queue")).toContain(QUEUE_WORDS[decision.queue]);
    expect(await page.getByTestId("ai-queue").getAttribute("class")).toContain("in-effect");
    expect(await text(page, "person-queue")).toBe("Not corrected");
    await expect(page.getByTestId("routing-in-effect").locator("thead").textContent()).resolves.toMatch(
      /AI decision\s*Simulated\s*Corrected by a person/,
    );
    await page.getByTestId("no-corrections").waitFor();

    // An SLA outside the chosen priority's window is refused in the browser: inline, focused, and never sent.
    await page.locator("#correct-queue").selectOption(queue);
    await page.locator("#correct-priority").selectOption(priority);
    await expect(page.getByLabel(/^SLA minutes/).getAttribute("id")).resolves.toBe("correct-sla");
    const window = priority === "p0" ? "P0 · critical: 5 min to 1 h" : "P1 · high: 30 min to 4 h";
    await page.waitForFunction(
      (words) =>
        document.querySelector('label[for="correct-sla"]')?.textContent?.replace(/\s+/g, " ").includes(words),
      window,
    );
    expect(squash(await page.locator('label[for="correct-sla"]').textContent())).toContain(window);
    await page.locator("#correct-sla").fill(String(badSla));
    await page
      .locator("#correct-reason")
      .fill("An existing customer: this is about their booking, not a sale");
    await page.getByTestId("correct-submit").click();
    await expect(page.locator("#correct-sla-error").textContent()).resolves.toBe(
      priority === "p0"
        ? "5 h is outside the SLA window of P0 · critical: 5 min to 1 h."
        : "5 h is outside the SLA window of P1 · high: 30 min to 4 h.",
    );
    expect(await page.locator("#correct-sla").getAttribute("aria-invalid")).toBe("true");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("correct-sla");
    expect(posts.filter((url) => url.includes("?/correct"))).toEqual([]);

    // Within the window it is stored: the AI's decision and the person's correction side by side, and the history.
    await page.locator("#correct-sla").fill(String(goodSla));
    expect(await page.locator("#correct-sla-error").count()).toBe(0); // re-checked as it is typed
    await page.getByTestId("correct-submit").click();
    await expect(page.getByTestId("correction-saved").textContent()).resolves.toMatch(
      /Saved: Queue, Priority, SLA corrected\./,
    );
    expect(posts.filter((url) => url.includes("?/correct"))).toHaveLength(1);
    expect(await text(page, "ai-queue")).toContain(QUEUE_WORDS[decision.queue]);
    expect(await page.getByTestId("ai-queue").getAttribute("class")).not.toContain("in-effect");
    const personQueue = squash(await page.getByTestId("person-queue").textContent());
    expect(personQueue).toMatch(
      new RegExp(
        `^${QUEUE_WORDS[queue]} \\(in effect\\) “An existing customer: this is about their booking, not a sale” .+ UTC$`,
      ),
    );
    expect(await page.getByTestId("person-queue").getAttribute("class")).toContain("in-effect");
    expect(squash(await page.getByTestId("person-priority").textContent())).toMatch(
      new RegExp(`^${PRIORITY_WORDS[priority]} \\(in effect\\)`),
    );
    expect(await text(page, "person-category")).toBe("Not corrected");
    expect(await page.getByTestId("ai-category").getAttribute("class")).toContain("in-effect");
    const history = page.getByTestId("correction");
    expect(await history.count()).toBe(1);
    expect(squash(await history.first().innerText())).toMatch(
      new RegExp(
        `Queue: ${QUEUE_WORDS[decision.queue]} → ${QUEUE_WORDS[queue]} Priority: ${PRIORITY_WORDS[decision.priority]} → ${PRIORITY_WORDS[priority]} SLA: .+ → ${goodSla} min “An existing customer`,
      ),
    );
    await expect(page.locator('[data-testid="event"][data-type="corrected"]').textContent()).resolves.toMatch(
      new RegExp(
        `Routing corrected by a person: Queue ${QUEUE_WORDS[decision.queue]} → ${QUEUE_WORDS[queue]}, Priority`,
      ),
    );
    // The form starts again from the routing now in effect, and the page never reloaded.
    expect(await page.locator("#correct-queue").inputValue()).toBe(queue);
    expect(await page.locator("#correct-reason").inputValue()).toBe("");
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect((await api(token, "GET", `/leads/${id}`)).json.effective).toMatchObject({
      queue,
      priority,
      sla_minutes: goodSla,
      corrected: true,
    });

    // Without JavaScript the same refusal comes from the API, in its words, and what was typed is kept.
    const nojs = await browser.newContext({ javaScriptEnabled: false });
    await addSession(nojs, token);
    const plain = await openPage(nojs, null, "nojs");
    await plain.goto(`${stack.webUrl}/leads/${id}`);
    await plain.locator("#correct-priority").selectOption("p0");
    await plain.locator("#correct-sla").fill("500");
    await plain.locator("#correct-reason").fill("Urgent after all");
    await plain.getByTestId("correct-submit").click();
    await expect(plain.locator("#correct-sla-error").textContent()).resolves.toBe(
      "500 is outside p0's window of 5-60 minutes",
    );
    await expect(plain.getByTestId("correction-error").textContent()).resolves.toBe(
      "Please correct the fields marked below.",
    );
    expect(await plain.locator("#correct-reason").inputValue()).toBe("Urgent after all");
    expect(await plain.locator("#correct-sla").inputValue()).toBe("500");
    expect((await api(token, "GET", `/leads/${id}`)).json.corrections).toHaveLength(1);
    await nojs.close();

    // Handling: open with a live countdown to the corrected due time; Answered stops the clock; Reopen keeps it.
    expect(await page.getByTestId("handling-state").getAttribute("data-state")).toBe("open");
    expect(await text(page, "first-response")).toBe("Not answered yet.");
    const before = await text(page, "countdown");
    expect(before).toMatch(/^\((\d+ h )?\d+ min \d+ s left\)$/);
    await page.waitForFunction(
      (shown) => document.querySelector('[data-testid="countdown"]')?.textContent?.trim() !== shown,
      before,
    );
    expect(squash(await page.getByTestId("sla-deadline").textContent())).toMatch(/^Respond by .+ UTC \(/);
    await page.getByTestId("handling-answered").click();
    await page.locator('[data-testid="handling-state"][data-state="answered"]').waitFor();
    expect(await text(page, "first-response")).toBe(
      `Answered less than a minute after it arrived, within its ${goodSla} min SLA.`,
    );
    expect(await page.getByTestId("countdown").count()).toBe(0);
    await page.getByTestId("handling-open").click();
    await page.locator('[data-testid="handling-state"][data-state="open"]').waitFor();
    expect(await text(page, "first-response")).toMatch(/^Answered less than a minute after it arrived/);
    const moves = await page.locator('[data-testid="event"][data-type="handling_changed"]').allTextContents();
    expect(moves.map(squash).map((m) => m.replace(/^.+ UTC /, ""))).toEqual([
      "Marked answered.",
      "Reopened.",
    ]);
    expect((await api(token, "GET", `/leads/${id}`)).json.handling).toMatchObject({ state: "open" });
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}lead-corrected.png`, fullPage: true });

    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("routes a failed lead by hand", async () => {
    const problems: string[] = [];
    const { token, context } = await signedIn();
    const id = await submitLead(
      token,
      "My boiler is leaking everywhere [[sim classify=http_401*1]]",
      "Failing Fiona",
    );
    await settled(token, id, "failed");

    const page = await openPage(context, problems, "route-by-hand");
    const posts = actionPosts(page);
    await page.goto(`${stack.webUrl}/leads/${id}`);
    await hydrated(page);
    await page.getByRole("heading", { name: "Route by hand" }).waitFor();
    expect(await text(page, "ai-queue")).toBe("No AI decision");
    expect(await text(page, "ai-category")).toBe("No classification");
    expect(squash(await page.getByTestId("handling").textContent())).toMatch(/1 h SLA/);

    // Nothing chosen: each missing field is named inline, the first one focused, nothing sent.
    await page.getByTestId("correct-submit").click();
    await expect(page.locator("#correct-queue-error").textContent()).resolves.toBe(
      "Choose the queue this lead goes to.",
    );
    await expect(page.locator("#correct-priority-error").textContent()).resolves.toBe("Choose a priority.");
    await page.locator("#correct-reason-error").waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("correct-queue");
    expect(posts.filter((url) => url.includes("?/correct"))).toEqual([]);

    await page.locator("#correct-category").selectOption("support");
    await page.locator("#correct-queue").selectOption("support");
    await page.locator("#correct-priority").selectOption("p1");
    await page.locator("#correct-sla").fill("120");
    await page.locator("#correct-reason").fill("A leak at a customer's home: support, today");
    await page.getByTestId("correct-submit").click();
    await page.getByTestId("correction-saved").waitFor();
    expect(squash(await page.getByTestId("person-queue").textContent())).toMatch(
      /^Support \(in effect\) “A leak/,
    );
    expect(squash(await page.getByTestId("person-sla_minutes").textContent())).toMatch(/^2 h \(in effect\)/);
    expect(squash(await page.getByTestId("handling").textContent())).toMatch(/2 h SLA, as corrected/);
    const events = (await page.getByTestId("event").allTextContents()).map(squash);
    expect(events.some((e) => e.endsWith("Triage failed at classify (LLM_AUTH)."))).toBe(true);
    expect(events.at(-1)).toMatch(
      /Routing corrected by a person: Category none → Support, Queue none → Support, Priority none → P1 · high, SLA 1 h → 2 h, because “A leak at a customer's home: support, today”$/,
    );
    expect((await api(token, "GET", `/leads/${id}`)).json.effective).toMatchObject({
      category: "support",
      queue: "support",
      priority: "p1",
      sla_minutes: 120,
      corrected: true,
    });
    await page.screenshot({ path: `${SCREENSHOTS}lead-routed-by-hand.png`, fullPage: true });

    await context.close();
    expect(problems).toEqual([]);
  }, 45_000);

  it("shows a WhatsApp lead's channel and sender in the list and on its page; a lead without a source shows none", async () => {
    const problems: string[] = [];
    const { token, context } = await signedIn();
    const appSecret = `app-secret-${randomUUID()}`;
    const channelName = `Shop WhatsApp ${randomUUID().slice(0, 8)}`;
    const channel = await api(token, "POST", "/channels", {
      type: "whatsapp",
      name: channelName,
      settings: { verify_token: "verify-me-42", app_secret: appSecret },
    });
    expect(channel.status).toBe(201);
    const plainId = await submitLead(token, "Do you clean carpets in York?", "Posted Paula");
    const raw = JSON.stringify(
      notification([
        change({
          contacts: [contact("34600000000", "Lucía Pérez")],
          messages: [
            textMessage(`wamid.${randomUUID()}`, "34600000000", "Hola, do you clean offices in Madrid?"),
          ],
        }),
      ]),
    );
    const delivered = await fetch(`${stack.apiUrl}/inbound/whatsapp/${channel.json.id}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": signWhatsApp(appSecret, raw) },
      body: raw,
    });
    expect(delivered.status).toBe(200);
    const whatsappId = await waitFor(
      async () =>
        (await api(token, "GET", "/leads")).json.items.find((l: any) => l.source !== null)?.id as
          | string
          | undefined,
      10_000,
      "the WhatsApp lead",
    );

    // libphonenumber-js groups the stored E.164 number the way Spain writes mobiles: 3, then pairs.
    const expected = `WhatsApp · +34 600 00 00 00 · via ${channelName}`;
    const page = await openPage(context, problems, "source");
    await page.goto(`${stack.webUrl}/leads`);
    const row = page.locator(`[data-testid="lead-row"][data-lead-id="${whatsappId}"]`);
    await expect(row.getByTestId("lead-source").textContent()).resolves.toBe(expected);
    const plainRow = page.locator(`[data-testid="lead-row"][data-lead-id="${plainId}"]`);
    expect(await plainRow.getByTestId("lead-source").count()).toBe(0);
    expect(squash(await plainRow.locator(".lead-cell").textContent())).toMatch(/^Posted Paula Email ·/);

    await row.getByRole("link", { name: "Lucía Pérez" }).click();
    await page.waitForURL(`**/leads/${whatsappId}`);
    await expect(page.getByTestId("lead-source").textContent()).resolves.toBe(expected);
    await page.goto(`${stack.webUrl}/leads/${plainId}`);
    expect(await page.getByTestId("lead-source").count()).toBe(0);

    await context.close();
    expect(problems).toEqual([]);
  }, 45_000);

  it("shows the first-response and correction-rate figures on the overview once a lead is answered and one corrected", async () => {
    const problems: string[] = [];
    const { token, context } = await signedIn();
    const answeredId = await submitLead(token, "How much for a deep clean of a 2-bedroom flat in Leeds?");
    const correctedId = await submitLead(token, "Could you quote for a deep clean of our house in York?");
    const [first, second] = [
      await settled(token, answeredId, "completed"),
      await settled(token, correctedId, "completed"),
    ];
    const category = first.category;
    expect(second.category).toBe(category); // both count toward one category's rate

    const answered = await api(token, "POST", `/leads/${answeredId}/handling`, { state: "answered" });
    expect(answered.status).toBe(200);
    const queue = second.queue === "support" ? "sales" : "support";
    const corrected = await api(token, "POST", `/leads/${correctedId}/corrections`, {
      queue,
      reason: "Not a quote: a complaint",
    });
    expect(corrected.status).toBe(201);
    // The API's figure (minutes to a tenth) is this lead's own first response, and the page shows that figure.
    const minutesTaken =
      (Date.parse(answered.json.handling.first_response_at) - Date.parse(answered.json.created_at)) / 60_000;
    const stats = (await api(token, "GET", "/stats?period=24h")).json;
    expect(stats.first_response_minutes.answered).toBe(1);
    expect(Math.abs(stats.first_response_minutes.p50 - minutesTaken)).toBeLessThanOrEqual(0.06);
    expect(stats.correction_rate_by_category[category]).toBe(0.5);
    const shown = `${stats.first_response_minutes.p50} min`;

    const page = await openPage(context, problems, "overview");
    await page.goto(`${stack.webUrl}/overview?period=24h`);
    expect(await text(page, "first-response-p50")).toBe(shown);
    expect(await text(page, "first-response-p90")).toBe(shown);
    expect(squash(await page.getByTestId("first-response").textContent())).toContain("over 1 answered lead");
    expect(squash(await text(page, `correction-rate-${category}`))).toBe(
      `People overruled the AI on 50% of ${CATEGORY_WORDS[category] ?? category} leads.`,
    );
    // Waiting now: the corrected lead is open in the queue a person chose; the answered one waits no more.
    const waiting = page.getByTestId(`waiting-${queue}`);
    expect(await waiting.locator("th, td").allTextContents()).toEqual([QUEUE_WORDS[queue], "1", "0"]);
    expect(squash(await page.getByTestId("breach-rate").textContent())).toBe(
      "No routed lead's SLA has run out yet in this period.",
    );
    await page.screenshot({ path: `${SCREENSHOTS}overview-queues.png`, fullPage: true });

    await context.close();
    expect(problems).toEqual([]);
  }, 45_000);
});
