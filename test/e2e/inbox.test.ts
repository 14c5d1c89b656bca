import { randomUUID } from "node:crypto";
import { leadChangeHub } from "@leadflow/core/live/lead-changes";
import pg from "pg";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fileEnv } from "../support/isolation.ts";
import { waitFor } from "../support/wait.ts";
import { diagnoseOnFailure as diagnose, SCREENSHOTS } from "./browser.ts";
import { launchChromium } from "./chromium.ts";
import { watchConsole } from "./console.ts";
import { type Stack, startStack, startWebServer } from "./stack.ts";

// The inbox (/inbox) and live updates in Chromium, against the real API, worker and simulator: the web server
// relays GET /events/stream (LIVE_UPDATES=stream), and one test runs a second web server that polls instead.

const PASSWORD = "correct horse battery";
let stack: Stack;
let browser: Browser;
let db: pg.Client;

beforeAll(async () => {
  stack = await startStack({ webEnv: { LIVE_UPDATES: "stream" } });
  browser = await launchChromium();
  db = new pg.Client({ connectionString: fileEnv("DATABASE_URL") });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await browser?.close();
  await stack?.close();
});

// A test that failed half-way leaves no page open (and no live stream) for the next one.
afterEach(async () => {
  for (const context of browser.contexts()) await context.close();
});

const diagnoseOnFailure = (page: Page, name: string) => diagnose(page, name, () => stack.webOutput());

const api = (method: string, path: string, token: string, body?: unknown) =>
  stack.call(method, path, token, body);

async function signUp(): Promise<string> {
  const res = await fetch(`${stack.apiUrl}/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `inbox-${randomUUID()}@example.test`, password: PASSWORD }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * A page signed in as the token's user (the session cookie the web app's sign-in sets), with the browser's
 * problems collected and a screenshot taken if the test fails.
 */
async function browse(
  token: string,
  name: string,
  options: Parameters<Browser["newContext"]>[0] = {},
  webUrl = stack.webUrl,
) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await context.addCookies([{ name: "leadflow_session", value: token, url: webUrl, httpOnly: true }]);
  const page = await context.newPage();
  const problems: string[] = [];
  watchConsole(page, problems);
  diagnoseOnFailure(page, name);
  return { context, page, problems };
}

async function submit(token: string, name: string, message = "Quote for a deep clean of a flat in Leeds?") {
  const res = await api("POST", "/leads", token, {
    name,
    contact_channel: "email",
    message: `${message} (${randomUUID()})`,
  });
  expect(res.status).toBe(202);
  return res.json.id as string;
}

async function settled(token: string, id: string) {
  return waitFor(
    async () => {
      const { json } = await api("GET", `/leads/${id}`, token);
      return json.workflow.status === "completed" || json.workflow.status === "failed" ? json : undefined;
    },
    20_000,
    `lead ${id} to settle`,
  );
}

/** A lead routed by the simulator, then corrected to known values so the test does not depend on its answer. */
async function routed(token: string, name: string, routing: Record<string, unknown>) {
  const id = await submit(token, name);
  expect((await settled(token, id)).workflow.status).toBe("completed");
  const res = await api("POST", `/leads/${id}/corrections`, token, { reason: "test set-up", ...routing });
  expect(res.status).toBe(201);
  return id;
}

/** Moves a lead's arrival (both copies) back: how a test gets a lead whose due time has passed. */
async function arrivedAt(id: string, at: Date) {
  await db.query("update leads set created_at = $2 where id = $1", [id, at]);
  await db.query("update workflows set lead_created_at = $2 where lead_id = $1", [id, at]);
}

/** The API's live subscriptions (GET /events/stream), one per open stream, in this process like the API. */
const hub = () => leadChangeHub(stack.config.DATABASE_APP_URL ?? stack.config.DATABASE_URL);
const subscribers = (n: number, what: string) =>
  waitFor(async () => (hub().subscribers === n ? true : undefined), 5_000, what);

const row = (page: Page, id: string) => page.locator(`[data-testid="inbox-row"][data-lead-id="${id}"]`);
const rowIds = (page: Page) =>
  page
    .locator('[data-testid="inbox-row"]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-lead-id")));
const markDocument = (page: Page) =>
  page.evaluate(() => {
    (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
  });
const sameDocument = (page: Page) =>
  page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);

async function openInbox(page: Page, query = "") {
  await page.goto(`${stack.webUrl}/inbox${query}`);
  await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
}

describe("the inbox (Chromium, live updates relayed from GET /events/stream)", () => {
  it("is the signed-in home page, and shows a lead that completes without a reload or any polling", async () => {
    const problems: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Every `lead` event the page's own EventSource hears, on the page's clock (the real EventSource: a subclass
    // that only listens as well), so the test can tell loads that followed an event from loads on a timer.
    await context.addInitScript(() => {
      const log: { kind: string; at: number; data: string }[] = [];
      (window as unknown as { __live: typeof log }).__live = log;
      const Native = window.EventSource;
      window.EventSource = class extends Native {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          this.addEventListener("lead", (event) =>
            log.push({ kind: "event", at: performance.now(), data: event.data }),
          );
        }
      };
    });
    const page = await context.newPage();
    watchConsole(page, problems);
    diagnoseOnFailure(page, "inbox-live");

    // Signing up lands in the inbox, "Inbox" leads the main navigation, and the brand and / lead there too.
    await page.goto(`${stack.webUrl}/signup`);
    await page.getByLabel("Email").fill(`inbox-home-${randomUUID()}@example.test`);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create your account" }).click();
    await page.waitForURL(/\/inbox$/);
    const nav = page.getByRole("navigation", { name: "Main" }).getByRole("link");
    await expect(nav.first().textContent()).resolves.toBe("Inbox");
    await expect(nav.first().getAttribute("aria-current")).resolves.toBe("page");
    await expect(page.locator("a.brand").getAttribute("href")).resolves.toBe("/inbox");
    await page.goto(stack.webUrl);
    expect(new URL(page.url()).pathname).toBe("/inbox");
    await expect(page.getByTestId("inbox-empty").textContent()).resolves.toMatch(/Nothing open: every lead/);
    await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();

    const streams: string[] = [];
    page.on("request", (req) => {
      if (req.resourceType() === "eventsource") streams.push(req.url());
    });
    await markDocument(page);
    const token = (await context.cookies()).find((c) => c.name === "leadflow_session")!.value;
    // Each model call takes most of a second, so the lead is in flight for a few seconds: a page that polled
    // would load on its timer meanwhile.
    const id = await submit(
      token,
      "Live Lena",
      "Quote for weekly office cleaning in Bristol? [[sim delay=800]]",
    );
    await row(page, id).waitFor({ timeout: 20_000 });
    await expect(row(page, id).getByTestId("countdown").textContent()).resolves.toMatch(/^due in /);

    expect(await sameDocument(page)).toBe(true);
    expect(streams).toEqual([]); // the stream opened before, and never had to reconnect
    const timeline = await page.evaluate(() => {
      const events = (window as unknown as { __live: { kind: string; at: number; data: string }[] }).__live;
      const loads = performance
        .getEntriesByType("resource")
        .filter((entry) => new URL(entry.name).pathname === "/inbox/__data.json")
        .map((entry) => ({ kind: "load", at: entry.startTime, data: "" }));
      return [...events, ...loads].sort((a, b) => a.at - b.at);
    });
    const kinds = timeline.map((entry) => entry.kind).join(" ");
    // Every load of the inbox's data followed a change the stream announced; none came on a timer.
    expect(kinds).toMatch(/^event( event)* load/);
    expect(kinds).not.toMatch(/load load/);
    expect(timeline.filter((e) => e.kind === "event").map((e) => JSON.parse(e.data).id)).toEqual(
      expect.arrayContaining([id]),
    );
    expect(timeline.some((e) => e.kind === "event" && JSON.parse(e.data).status === "completed")).toBe(true);

    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("moves a lead with one click: Answered takes it off the open tab and into answered, and Undo brings it back", async () => {
    const token = await signUp();
    const first = await routed(token, "Answer Ada", { queue: "sales", priority: "p1", sla_minutes: 120 });
    const second = await routed(token, "Close Cleo", { queue: "sales", priority: "p2", sla_minutes: 2880 });
    const { context, page, problems } = await browse(token, "inbox-move");

    await openInbox(page, "?queue=sales");
    await markDocument(page);
    expect(await rowIds(page)).toEqual([first, second]); // the API's order: due soonest first
    await row(page, first).getByRole("button", { name: "Answered" }).click();
    await row(page, first).waitFor({ state: "detached" });
    await expect(page.getByTestId("move-notice").textContent()).resolves.toMatch(
      /“Answer Ada” is now answered/,
    );
    expect(await rowIds(page)).toEqual([second]);

    await page
      .getByRole("navigation", { name: "Handling state" })
      .getByRole("link", { name: "Answered" })
      .click();
    await page.waitForURL(/\/inbox\?queue=sales&state=answered$/);
    await row(page, first).waitFor();
    await expect(row(page, first).getByTestId("countdown").textContent()).resolves.toBe("answered in time");
    expect(await rowIds(page)).toEqual([first]);
    expect((await api("GET", `/leads/${first}`, token)).json.handling.state).toBe("answered");

    // The state and tab survive a reload (they are the URL); Close moves it on, Undo takes it back.
    await page.reload();
    await row(page, first).getByRole("button", { name: "Close" }).click();
    await row(page, first).waitFor({ state: "detached" });
    await page.getByTestId("move-notice").getByRole("button", { name: "Undo" }).click();
    await row(page, first).waitFor();
    expect((await api("GET", `/leads/${first}`, token)).json.handling.state).toBe("answered");

    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("corrects queue and priority inline: the API's SLA rule comes back at the field, the badge changes, the queue moves it", async () => {
    const token = await signUp();
    const id = await routed(token, "Correct Cora", { queue: "sales", priority: "p2", sla_minutes: 1200 });
    const { context, page, problems } = await browse(token, "inbox-correct");

    await openInbox(page, "?queue=sales");
    await markDocument(page);
    const lead = row(page, id);
    await expect(lead.getByTestId("priority").textContent()).resolves.toBe("P2");
    await lead.locator("summary").click();
    // P0 allows at most an hour; the lead's SLA is a day: the API refuses, and says so beside the SLA field.
    await lead.getByLabel("Priority").selectOption("p0");
    await lead.getByLabel("Reason").fill("The customer is losing business today");
    await lead.getByRole("button", { name: "Save correction" }).click();
    await expect(page.locator(`#correct-${id}-sla-error`).textContent()).resolves.toMatch(
      /1200 is outside p0's window of 5-60 minutes/,
    );
    expect(await lead.getByLabel(/^SLA in minutes/).getAttribute("aria-invalid")).toBe("true");
    expect(await lead.getByLabel("Reason").inputValue()).toBe("The customer is losing business today");
    expect(await lead.getByLabel("Priority").inputValue()).toBe("p0");

    await lead.getByLabel(/^SLA in minutes/).fill("30");
    await lead.getByRole("button", { name: "Save correction" }).click();
    await page.locator(`[data-lead-id="${id}"][data-priority="p0"]`).waitFor();
    await expect(lead.getByTestId("priority").textContent()).resolves.toBe("P0");
    await expect(page.getByTestId("correction-notice").textContent()).resolves.toMatch(
      /Priority P2 · normal → P0 · critical, SLA 20 h → 30 min/,
    );
    await expect(lead.getByTestId("countdown").textContent()).resolves.toMatch(/^due in (29|30) min$/);

    // Another queue takes it off this tab and onto that one.
    await lead.locator("summary").click();
    await lead.getByLabel("Queue").selectOption("support");
    await lead.getByLabel("Reason").fill("It is a complaint about a visit");
    await lead.getByRole("button", { name: "Save correction" }).click();
    await lead.waitFor({ state: "detached" });
    await page.getByTestId("inbox-empty").waitFor();
    await page.getByRole("navigation", { name: "Queues" }).getByRole("link", { name: "Support" }).click();
    await page.waitForURL(/queue=support/);
    await expect(row(page, id).getByTestId("queue").textContent()).resolves.toBe("Support");
    await expect(row(page, id).getByTestId("priority").textContent()).resolves.toBe("P0");
    expect(await sameDocument(page)).toBe(true);

    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("works from the keyboard: j/k move a visible selection, a answers, Enter opens, ? shows the keys", async () => {
    const token = await signUp();
    const ids = [
      await routed(token, "Key One", { queue: "support", priority: "p1", sla_minutes: 60 }),
      await routed(token, "Key Two", { queue: "support", priority: "p1", sla_minutes: 120 }),
      await routed(token, "Key Three", { queue: "support", priority: "p1", sla_minutes: 180 }),
    ];
    const { context, page, problems } = await browse(token, "inbox-keys");
    await openInbox(page);
    expect(await rowIds(page)).toEqual(ids);
    await page.screenshot({ path: `${SCREENSHOTS}inbox.png`, fullPage: true });
    const selected = () =>
      page.evaluate(() => ({
        row: document.activeElement?.closest("[data-lead-id]")?.getAttribute("data-lead-id") ?? null,
        focusVisible: document.activeElement?.matches(":focus-visible") ?? false,
        highlighted: [...document.querySelectorAll('[data-testid="inbox-row"].selected')].map((r) =>
          r.getAttribute("data-lead-id"),
        ),
      }));

    await page.keyboard.press("j");
    expect(await selected()).toEqual({ row: ids[0], focusVisible: true, highlighted: [ids[0]] });
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    expect(await selected()).toEqual({ row: ids[2], focusVisible: true, highlighted: [ids[2]] });
    await page.keyboard.press("j"); // the last row stays selected
    await page.keyboard.press("k");
    expect(await selected()).toEqual({ row: ids[1], focusVisible: true, highlighted: [ids[1]] });

    // `a` answers the selected lead; the one that takes its place is selected next.
    await page.keyboard.press("a");
    await row(page, ids[1]!).waitFor({ state: "detached" });
    await expect.poll(selected).toEqual({ row: ids[2], focusVisible: true, highlighted: [ids[2]] });
    expect((await api("GET", `/leads/${ids[1]}`, token)).json.handling.state).toBe("answered");

    // Keys typed into a field are text, not commands.
    await row(page, ids[2]!).locator("summary").click();
    await row(page, ids[2]!).getByLabel("Reason").fill("");
    await row(page, ids[2]!).getByLabel("Reason").press("a");
    await row(page, ids[2]!).getByLabel("Reason").press("j");
    expect(await row(page, ids[2]!).getByLabel("Reason").inputValue()).toBe("aj");
    expect(await rowIds(page)).toEqual([ids[0], ids[2]]);

    // ? opens the help as a modal dialog listing the keys; Escape closes it.
    await page.locator("body").click({ position: { x: 5, y: 5 } });
    await page.keyboard.press("?");
    const help = page.getByTestId("key-help");
    await expect(help.isVisible()).resolves.toBe(true);
    await expect(help.getByRole("heading").textContent()).resolves.toBe("Keyboard shortcuts");
    await expect(help.locator("dt").allTextContents()).resolves.toEqual(["j", "k", "a", "c", "Enter", "?"]);
    await page.screenshot({ path: `${SCREENSHOTS}inbox-keys.png` });
    await page.keyboard.press("j"); // inside the dialog, keys are its own
    await page.keyboard.press("Escape");
    await expect(help.isVisible()).resolves.toBe(false);

    await page.keyboard.press("k");
    expect((await selected()).row).toBe(ids[0]);
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/leads/${ids[0]}`);
    await page.getByTestId("workflow-status").waitFor();

    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("fits a phone: at 375 px the rows are stacked cards and nothing scrolls sideways", async () => {
    const token = await signUp();
    const id = await routed(token, "Phone Pia with a rather long name for a narrow screen", {
      queue: "needs_clarification",
      priority: "p0",
      sla_minutes: 60,
    });
    await routed(token, "Phone Paul", { queue: "sales", priority: "p2", sla_minutes: 600 });
    const { context, page, problems } = await browse(token, "inbox-phone", {
      viewport: { width: 375, height: 800 },
    });
    await openInbox(page);
    await row(page, id).locator("summary").click();
    await row(page, id).getByLabel("Reason").waitFor();
    const fits = () =>
      page.evaluate(
        () => document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 375,
      );
    expect(await fits()).toBe(true);
    // Stacked: the parts of a card sit one above the other, not side by side.
    const boxes = await Promise.all(
      ["a.lead-name", '[data-testid="priority"]', '[data-testid="countdown"]'].map((sel) =>
        row(page, id).locator(sel).boundingBox(),
      ),
    );
    expect(boxes[0]!.y).toBeLessThan(boxes[1]!.y);
    expect(boxes[1]!.y).toBeLessThan(boxes[2]!.y);
    await page.screenshot({ path: `${SCREENSHOTS}inbox-375px.png`, fullPage: true });
    await page.keyboard.press("?");
    expect(await fits()).toBe(true);
    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("lists a lead whose triage failed under Failed, and says a breached lead is overdue", async () => {
    const token = await signUp();
    const failed = await submit(token, "Failing Fay", "My cleaner never came [[sim classify=http_401]]");
    expect((await settled(token, failed)).workflow.status).toBe("failed");
    const late = await routed(token, "Late Lou", { queue: "support", priority: "p1", sla_minutes: 240 });
    const { context, page, problems } = await browse(token, "inbox-failed");

    await openInbox(page, "?queue=failed");
    expect(await rowIds(page)).toEqual([failed]);
    await expect(row(page, failed).textContent()).resolves.toMatch(/Failed.*Not routed/s);
    await expect(row(page, failed).getByTestId("countdown").textContent()).resolves.toMatch(
      /^due in (59|60) min$/,
    );
    await page.getByRole("navigation", { name: "Queues" }).getByRole("link", { name: "Support" }).click();
    await row(page, late).waitFor();
    await expect(row(page, late).getByTestId("countdown").textContent()).resolves.toMatch(
      /^due in (3 h 59 min|4 h)$/,
    );
    expect(await row(page, late).getAttribute("data-breached")).toBe("false");

    // It arrived hours ago, and a person gives it a p0's SLA: due long since. The correction is announced on the
    // stream, so the open page shows it at once.
    await arrivedAt(late, new Date(Date.now() - 2 * 3_600_000));
    expect(
      (
        await api("POST", `/leads/${late}/corrections`, token, {
          priority: "p0",
          sla_minutes: 5,
          reason: "vip",
        })
      ).status,
    ).toBe(201);
    await page.locator(`[data-lead-id="${late}"][data-breached="true"]`).waitFor();
    await expect(row(page, late).getByTestId("countdown").textContent()).resolves.toMatch(
      /^overdue by 1 h 5[4-6] min$/,
    );
    expect(await row(page, late).evaluate((el) => getComputedStyle(el.querySelector(".due")!).color)).toBe(
      "rgb(164, 22, 26)", // --danger
    );
    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("works without JavaScript: tabs are links, Answered and a refused correction post and come back to the same view", async () => {
    const token = await signUp();
    const id = await routed(token, "No Script Nico", { queue: "sales", priority: "p2", sla_minutes: 1200 });
    // No script runs, so there are no browser problems to hold against the page (Chromium refuses even the
    // module preloads then, and reports each).
    const { context, page } = await browse(token, "inbox-nojs", { javaScriptEnabled: false });
    await page.goto(`${stack.webUrl}/inbox?queue=sales`);
    await expect(page.getByTestId("live-status").textContent()).resolves.not.toMatch(/Live/);
    await expect(page.getByRole("button", { name: /Keyboard shortcuts/ }).count()).resolves.toBe(0);

    await row(page, id).locator("summary").click();
    await row(page, id).getByLabel("Priority").selectOption("p0");
    await row(page, id).getByLabel("Reason").fill("Urgent after all");
    await row(page, id).getByRole("button", { name: "Save correction" }).click();
    await expect(page.locator(`#correct-${id}-sla-error`).textContent()).resolves.toMatch(
      /outside p0's window/,
    );
    expect(await row(page, id).getByLabel("Reason").inputValue()).toBe("Urgent after all");
    expect(new URL(page.url()).searchParams.get("queue")).toBe("sales");

    await row(page, id).getByRole("button", { name: "Answered" }).click();
    await page.getByTestId("move-notice").waitFor();
    expect(new URL(page.url()).searchParams.get("queue")).toBe("sales");
    expect(await row(page, id).count()).toBe(0);
    await page.getByRole("link", { name: "Answered", exact: true }).click();
    await row(page, id).waitFor();
    await context.close();
  }, 60_000);
});

describe("live updates through the web server's relay (GET /events/stream)", () => {
  /** The relay read as a browser's EventSource would: its `lead` events as they arrive. */
  async function openRelay(token: string | null, webUrl = stack.webUrl) {
    const abort = new AbortController();
    const res = await fetch(`${webUrl}/events/stream`, {
      headers: { accept: "text/event-stream", ...(token ? { cookie: `leadflow_session=${token}` } : {}) },
      signal: abort.signal,
    });
    const events: { id: string; status: string; handling_state: string }[] = [];
    if (res.ok) {
      void (async () => {
        const decoder = new TextDecoder();
        let pending = "";
        try {
          for await (const chunk of res.body!) {
            const blocks = (pending + decoder.decode(chunk, { stream: true })).split("\n\n");
            pending = blocks.pop() ?? "";
            for (const block of blocks) {
              const lines = block.split("\n");
              const data = lines.find((line) => line.startsWith("data: "));
              if (lines.includes("event: lead") && data) events.push(JSON.parse(data.slice("data: ".length)));
            }
          }
        } catch {
          // Aborted by the test.
        }
      })();
    }
    return { res, events, close: () => abort.abort() };
  }

  it("carries the signed-in user's changes and no other user's, and refuses anyone not signed in", async () => {
    const anonymous = await openRelay(null);
    expect(anonymous.res.status).toBe(401);

    const [alice, bob] = [await signUp(), await signUp()];
    await subscribers(0, "the streams of earlier tests to close");
    const aliceRelay = await openRelay(alice);
    const bobRelay = await openRelay(bob);
    try {
      expect(aliceRelay.res.status).toBe(200);
      expect(aliceRelay.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      await subscribers(2, "both relays upstream");
      const bobs = await submit(bob, "Bob's Lead");
      await settled(bob, bobs);
      await waitFor(
        async () =>
          bobRelay.events.some((e) => e.id === bobs && e.status === "completed") ? true : undefined,
        5_000,
        "Bob's completion on his relay",
      );
      const alices = await submit(alice, "Alice's Lead");
      await waitFor(
        async () => (aliceRelay.events.some((e) => e.id === alices) ? true : undefined),
        5_000,
        "Alice's arrival on her relay",
      );
      // Bob's stream ran the whole time Alice's lead arrived: it got none of hers, and hers none of his.
      expect(aliceRelay.events.map((e) => e.id)).not.toContain(bobs);
      expect(new Set(aliceRelay.events.map((e) => e.id))).toEqual(new Set([alices]));
      expect(bobRelay.events.map((e) => e.id)).not.toContain(alices);
    } finally {
      aliceRelay.close();
      bobRelay.close();
    }
    // The browser going away ends the upstream request: the API's subscriptions are gone.
    await subscribers(0, "the upstreams to close");
  });

  it("closes the upstream when the page that opened it goes away", async () => {
    const token = await signUp();
    await subscribers(0, "the streams of earlier tests to close");
    const { context, page, problems } = await browse(token, "inbox-upstream");
    await openInbox(page);
    await subscribers(1, "the page's stream");
    await page.close();
    await subscribers(0, "the stream to close");
    await context.close();
    expect(problems).toEqual([]);
  });

  it("updates the lead list and a lead's page too: a lead sent by an API client, a retry and an answer from elsewhere", async () => {
    const token = await signUp();
    const failed = await submit(token, "Retry Rita", "My cleaner never came [[sim classify=http_401*1]]");
    expect((await settled(token, failed)).workflow.status).toBe("failed");
    await subscribers(0, "the streams of earlier tests to close");
    const { context, page, problems } = await browse(token, "inbox-elsewhere");

    // Nothing on the list is in flight, so before the stream it would never have looked again.
    await page.goto(`${stack.webUrl}/leads`);
    await expect.poll(() => page.getByTestId("lead-row").count()).toBe(1);
    await subscribers(1, "the list's stream");
    await markDocument(page);
    const listed = await submit(token, "Listed Liam", "Window cleaning in Bath? [[sim delay=300]]");
    await page
      .locator(`[data-testid="lead-row"][data-lead-id="${listed}"][data-status="completed"]`)
      .waitFor({
        timeout: 20_000,
      });
    expect(await sameDocument(page)).toBe(true);

    // A failed workflow's page polls nothing; a retry by an API client reaches it through the stream, and from
    // there the page follows the steps to completion.
    await page.goto(`${stack.webUrl}/leads/${failed}`);
    await page.locator('[data-testid="workflow-status"] [data-status="failed"]').waitFor();
    await subscribers(1, "the lead page's stream");
    await markDocument(page);
    expect((await api("POST", `/leads/${failed}/retry`, token)).status).toBe(202);
    await page
      .locator('[data-testid="workflow-status"] [data-status="completed"]')
      .waitFor({ timeout: 20_000 });
    // Someone answers it from elsewhere (another tab's inbox, an API client): the page says so at once.
    expect((await api("POST", `/leads/${failed}/handling`, token, { state: "answered" })).status).toBe(200);
    await page.locator('[data-testid="handling-state"][data-state="answered"]').waitFor();
    expect(await sameDocument(page)).toBe(true);
    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("falls back to polling where LIVE_UPDATES=poll: the inbox still updates without a reload, and the relay refuses", async () => {
    const web = await startWebServer({ API_URL: stack.apiUrl, LIVE_UPDATES: "poll" });
    try {
      const token = await signUp();
      const relay = await openRelay(token, web.url);
      expect(relay.res.status).toBe(503);
      await expect(relay.res.text()).resolves.toMatch(/LIVE_UPDATES=poll/);

      const { context, page, problems } = await browse(token, "inbox-poll", {}, web.url);
      const streams: string[] = [];
      page.on("request", (req) => {
        if (req.resourceType() === "eventsource") streams.push(req.url());
      });
      await page.goto(`${web.url}/inbox`);
      const status = page.locator('[data-testid="live-status"][data-state="polling"]');
      await status.waitFor();
      await expect(status.textContent()).resolves.toMatch(/Refreshing every 5 s/);
      await markDocument(page);
      const id = await submit(token, "Polled Polly");
      await row(page, id).waitFor({ timeout: 20_000 });
      expect(await sameDocument(page)).toBe(true);
      expect(streams).toEqual([]);
      await context.close();
      expect(problems).toEqual([]);
    } finally {
      await web.close();
    }
  }, 60_000);
});
