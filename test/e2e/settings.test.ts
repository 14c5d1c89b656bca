import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { basicAuth, postmarkInbound } from "../support/email.ts";
import { waitFor } from "../support/wait.ts";
import { startReceiver } from "../support/webhook-receiver.ts";
import { change, contact, notification, signWhatsApp, textMessage } from "../support/whatsapp.ts";
import { launchChromium } from "./chromium.ts";
import { watchConsole } from "./console.ts";
import { type Stack, startStack } from "./stack.ts";

/**
 * The settings pages as a person uses them, in Chromium against the real API, worker and web server: API keys,
 * channels and webhook endpoints, each secret shown once, and what each one then does (a key authenticates, a
 * channel makes leads, an endpoint receives signed calls at a real local receiver).
 */
const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const PASSWORD = "correct horse battery";
const APP_SECRET = "meta-app-secret-for-settings";

let stack: Stack;
let browser: Browser;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  receiver = await startReceiver();
  // The receiver listens on 127.0.0.1 over plain http, which only WEBHOOK_ALLOW_PRIVATE lets an endpoint use.
  stack = await startStack({ env: { WEBHOOK_ALLOW_PRIVATE: "true" } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await receiver?.close();
});

/** A new person, signed up in a context of their own; `problems` collects what the browser complains of. */
async function signUp(problems: string[], options: Parameters<Browser["newContext"]>[0] = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  if (options.javaScriptEnabled !== false) watchConsole(page, problems);
  onTestFailed(async () => {
    await page.screenshot({ path: `${SCREENSHOTS}failure-settings.png`, fullPage: true }).catch(() => {});
    console.error(`failed at ${page.url()}; web server output:\n${stack.webOutput()}`);
  });
  await page.goto(`${stack.webUrl}/signup`);
  await page.getByLabel("Email").fill(`settings-${randomUUID()}@example.test`);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create your account" }).click();
  await page.waitForURL(/\/inbox$/);
  return { context, page };
}

const sessionToken = async (context: BrowserContext) =>
  (await context.cookies()).find((c) => c.name === "leadflow_session")!.value;

const api = (path: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${stack.apiUrl}${path}`, {
    ...init,
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body ? { "content-type": "application/json" } : {}),
      ...(init.headers as Record<string, string> | undefined),
    },
  });

/** At a phone's width the page scrolls only down, never sideways (long URLs and keys wrap). */
async function fitsAPhone(page: Page, screenshot: string) {
  await page.setViewportSize({ width: 360, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.screenshot({ path: `${SCREENSHOTS}${screenshot}.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Opens a confirmation (a disclosure) and confirms it. */
/**
 * Opens one channel type's form (a link to `?type=`) and waits until it is that form: text typed while the
 * navigation is still on its way goes into the form it replaces.
 */
async function chooseType(page: Page, link: string, type: string) {
  await page.getByRole("link", { name: link }).click();
  await page.waitForURL((url) => url.searchParams.get("type") === type);
  await page.getByRole("button", { name: `Connect ${link}` }).waitFor();
}

async function confirm(within: Page | Locator, testid: string, button: string) {
  const box = within.getByTestId(testid);
  await box.locator("summary").click();
  await box.getByRole("button", { name: button }).click();
}

/** What the person sees as a stranger: none of another user's settings, not even by URL. */
async function expectStrangerSeesNothing(paths: string[], secrets: string[]) {
  const problems: string[] = [];
  const { context, page } = await signUp(problems);
  for (const path of paths) {
    const response = await page.goto(`${stack.webUrl}${path}`);
    const html = await page.content();
    for (const secret of secrets) expect(html).not.toContain(secret);
    if (/\/settings\/\w+\/[0-9a-f-]{36}$/.test(path)) {
      expect(response?.status(), path).toBe(404);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Not found");
    } else {
      expect(response?.status(), path).toBe(200);
      expect(await page.locator("table.settings-table tbody tr").count(), path).toBe(0);
    }
  }
  await context.close();
  expect(problems).toEqual([]);
}

describe("settings pages (Chromium, real API, worker and web server)", () => {
  it("creates an API key, shows it once with Copy, lets it authenticate, then revokes it", async () => {
    const problems: string[] = [];
    const { context, page } = await signUp(problems, { permissions: ["clipboard-read", "clipboard-write"] });

    // Settings is in the main navigation, with its own sub-navigation.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(/\/settings$/);
    await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "API keys" }).click();
    await page.waitForURL(/\/settings\/api-keys$/);
    await page.getByTestId("keys-empty").waitFor();

    // A blank name comes back inline from the API.
    await page.getByLabel(/^Name/).fill("   ");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.locator("#key-name-error").textContent()).resolves.toMatch(/must not be empty/i);
    expect(await page.getByLabel(/^Name/).getAttribute("aria-invalid")).toBe("true");

    await page.getByLabel(/^Name/).fill("CRM importer");
    await page.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByTestId("new-key");
    await shown.waitFor();
    await expect(shown.textContent()).resolves.toContain("it will not be shown again");
    const key = await page.getByLabel("Your new API key").inputValue();
    expect(key).toMatch(/^lf_[A-Za-z0-9_-]{43}$/);
    await shown.getByRole("button", { name: /^Copy/ }).click();
    await shown.getByRole("status").getByText("Copied to the clipboard.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await page.screenshot({ path: `${SCREENSHOTS}settings-api-key-created.png`, fullPage: true });

    // The key works against the API as the user's client.
    expect((await api("/leads", { token: key })).status).toBe(200);

    // It is listed by its prefix only; a reload, and the page's HTML as served, no longer carry the key.
    const row = page.getByTestId("key-row").filter({ hasText: "CRM importer" });
    await expect(row.textContent()).resolves.toContain(`${key.slice(0, 12)}…`);
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId("new-key").count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    expect(await (await context.request.get(`${stack.webUrl}/settings/api-keys`)).text()).not.toContain(key);
    expect(JSON.stringify(await context.cookies())).not.toContain(key);

    // Revoked after a confirmation: the key is refused from then on.
    await confirm(row, "revoke-key", "Revoke key");
    await page.getByTestId("key-revoked").waitFor();
    await page.getByTestId("keys-empty").waitFor();
    expect((await api("/leads", { token: key })).status).toBe(401);

    // Past 20 live keys the API says no, and the page says why.
    const token = await sessionToken(context);
    for (let i = 1; i <= 20; i++) {
      const res = await api("/api-keys", {
        method: "POST",
        token,
        body: JSON.stringify({ name: `Key ${i}` }),
      });
      expect(res.status).toBe(201);
    }
    await page.getByLabel(/^Name/).fill("One too many");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByTestId("create-key-error").textContent()).resolves.toMatch(/at most 20 API keys/);
    expect(await page.getByTestId("new-key").count()).toBe(0);
    expect(await page.getByLabel(/^Name/).inputValue()).toBe("One too many");

    await expectStrangerSeesNothing(["/settings/api-keys"], [key.slice(0, 12)]);
    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("connects a channel of each type, shows its secrets once, logs its deliveries, and deletes it", async () => {
    const problems: string[] = [];
    const { context, page } = await signUp(problems, { permissions: ["clipboard-read", "clipboard-write"] });
    const token = await sessionToken(context);
    await page.goto(`${stack.webUrl}/settings/channels`);
    await page.getByTestId("channels-empty").waitFor();

    // WhatsApp (the form open by default): the callback URL to give Meta.
    await page.getByLabel(/^Name/).fill("Shop WhatsApp");
    await page.getByLabel("Verify token").fill("verify-me-please");
    await page.getByLabel("App secret").fill(APP_SECRET);
    await page.getByRole("button", { name: "Connect WhatsApp" }).click();
    await page.getByTestId("created-channel").waitFor();
    const whatsappUrl = await page.getByLabel("Callback URL").inputValue();
    expect(whatsappUrl).toMatch(/\/inbound\/whatsapp\/[0-9a-f-]{36}$/);
    expect(await page.content()).not.toContain(APP_SECRET);

    // Postmark: the full webhook URL with the generated password, once.
    await chooseType(page, "Email", "email");
    await page.getByLabel(/^Name/).fill("Sales inbox");
    await page.getByRole("radio", { name: "Postmark" }).check();
    await page.getByRole("button", { name: "Connect Email" }).click();
    await page.getByTestId("postmark-url").waitFor();
    const postmarkUrl = new URL(await page.getByLabel("Postmark inbound webhook URL").inputValue());
    expect(postmarkUrl.username).toBe("leadflow");
    expect(postmarkUrl.password.length).toBeGreaterThan(30);
    expect(postmarkUrl.pathname).toMatch(/^\/inbound\/email\/[0-9a-f-]{36}$/);
    // The password is the channel's real one: Postmark posting with it makes a lead.
    const mail = await api(postmarkUrl.pathname, {
      method: "POST",
      body: JSON.stringify(postmarkInbound()),
      headers: { authorization: basicAuth("leadflow", decodeURIComponent(postmarkUrl.password)) },
    });
    expect(mail.status).toBe(200);

    // Mailgun asks for its signing key: shown only once Mailgun is chosen, and refused inline when empty.
    await page.getByLabel(/^Name/).fill("Support inbox");
    expect(await page.getByLabel(/Mailgun signing key/).isVisible()).toBe(false);
    await page.getByRole("radio", { name: "Mailgun" }).check();
    await page.getByRole("button", { name: "Connect Email" }).click();
    await expect(page.locator("#signing-key-error").textContent()).resolves.toMatch(/must not be empty/i);
    expect(await page.getByLabel(/^Name/).inputValue()).toBe("Support inbox");
    await page.getByLabel(/Mailgun signing key/).fill("key-3ax6xnjp29jd6fds4gc373sgvjxteol0");
    await page.getByRole("button", { name: "Connect Email" }).click();
    await page.getByTestId("inbound-url").waitFor();
    expect(await page.getByTestId("postmark-url").count()).toBe(0);

    // Web chat: each origin is checked, and a bad line is named inline; then the snippet to paste, with Copy.
    await chooseType(page, "Web chat", "webchat");
    await page.getByLabel(/^Name/).fill("Site chat");
    await page.getByLabel(/^Allowed origins/).fill("https://shop.example\nshop.example/contact");
    await page.getByRole("button", { name: "Connect Web chat" }).click();
    await expect(page.locator("#allowed-origins-error").textContent()).resolves.toMatch(
      /^Line 2 \(“shop\.example\/contact”\): must be an origin such as https:\/\/example\.com/,
    );
    expect(await page.getByLabel(/^Allowed origins/).inputValue()).toBe(
      "https://shop.example\nshop.example/contact",
    );
    await page.getByLabel(/^Allowed origins/).fill("https://shop.example\nhttps://www.shop.example");
    await page.getByRole("button", { name: "Connect Web chat" }).click();
    const snippetBox = page.getByTestId("widget-snippet");
    await snippetBox.waitFor();
    const publicKey = await page.getByTestId("public-key").locator("input").inputValue();
    expect(publicKey).toMatch(/^lfpk_/);
    const snippet = await snippetBox.locator("textarea").inputValue();
    expect(snippet).toBe(
      `<script src="${stack.config.PUBLIC_API_URL}/widget.js" data-leadflow-key="${publicKey}" async></script>`,
    );
    await snippetBox.getByRole("button", { name: /^Copy/ }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
    await page.screenshot({ path: `${SCREENSHOTS}settings-channel-created.png`, fullPage: true });

    // The list has all four; a reload shows no secret again.
    await page.goto(`${stack.webUrl}/settings/channels`);
    await expect.poll(() => page.getByTestId("channel-row").count()).toBe(4);
    expect(await page.getByTestId("created-channel").count()).toBe(0);
    expect(await page.content()).not.toContain(postmarkUrl.password);
    await expect(page.getByTestId("channel-row").first().textContent()).resolves.toContain(whatsappUrl);
    await fitsAPhone(page, "settings-channels-360px");

    // A signed WhatsApp delivery makes a lead, shown on the channel's page with a link to it.
    const body = JSON.stringify(
      notification([
        change({
          contacts: [contact("447700900123", "Priya Shah")],
          messages: [textMessage(`wamid.${randomUUID()}`, "447700900123", "Do you clean ovens in Leeds?")],
        }),
      ]),
    );
    const whatsappPath = new URL(whatsappUrl).pathname;
    const delivered = await api(whatsappPath, {
      method: "POST",
      body,
      headers: { "x-hub-signature-256": signWhatsApp(APP_SECRET, body) },
    });
    expect(delivered.status).toBe(200);
    const leads = (await (await api("/leads", { token })).json()).items as { id: string; name: string }[];
    const lead = leads.find((item) => item.name === "Priya Shah")!;
    expect(lead).toBeDefined();
    await page.getByRole("link", { name: "Shop WhatsApp" }).click();
    await page.getByRole("heading", { level: 1, name: "Shop WhatsApp" }).waitFor();
    const deliveryRow = page.getByTestId("delivery-row");
    await expect(deliveryRow.getAttribute("data-outcome")).resolves.toBe("accepted");
    await expect(deliveryRow.locator(".badge").textContent()).resolves.toContain("Accepted");
    await expect(deliveryRow.getByTestId("delivery-lead").getAttribute("href")).resolves.toBe(
      `/leads/${lead.id}`,
    );
    await page.screenshot({ path: `${SCREENSHOTS}settings-channel-page.png`, fullPage: true });
    await deliveryRow.getByTestId("delivery-lead").click();
    await page.waitForURL(`**/leads/${lead.id}`);
    await page.getByRole("heading", { name: "Priya Shah" }).waitFor();

    // The web-chat channel's page shows its snippet again: the key is public.
    await page.goto(`${stack.webUrl}/settings/channels`);
    await page.getByRole("link", { name: "Site chat" }).click();
    await expect(page.getByTestId("widget-snippet").locator("textarea").inputValue()).resolves.toBe(snippet);

    // Deleted after a confirmation: the list says the inbound URL now answers 404, and it does.
    await page.goto(`${stack.webUrl}/settings/channels`);
    await page.getByRole("link", { name: "Shop WhatsApp" }).click();
    await page.waitForURL(/\/settings\/channels\/[0-9a-f-]{36}$/);
    const channelPath = new URL(page.url()).pathname;
    await confirm(page, "delete-channel", "Delete channel");
    await page.waitForURL(/\/settings\/channels\?deleted=/);
    await expect(page.getByTestId("channel-deleted").textContent()).resolves.toMatch(
      /“Shop WhatsApp” deleted\. Its inbound URL now answers 404/,
    );
    await expect.poll(() => page.getByTestId("channel-row").count()).toBe(3);
    const after = await api(whatsappPath, {
      method: "POST",
      body,
      headers: { "x-hub-signature-256": signWhatsApp(APP_SECRET, body) },
    });
    expect(after.status).toBe(404);
    expect((await page.goto(`${stack.webUrl}${channelPath}`))?.status()).toBe(404);

    const webchatPath = (await (await api("/channels", { token })).json()).items
      .filter((c: { type: string }) => c.type === "webchat")
      .map((c: { id: string }) => `/settings/channels/${c.id}`);
    await expectStrangerSeesNothing(["/settings/channels", ...webchatPath], [publicKey]);
    await context.close();
    expect(problems).toEqual([]);
  }, 90_000);

  it("registers a webhook endpoint, shows its secret once, pings it and resends the same webhook", async () => {
    const problems: string[] = [];
    const { context, page } = await signUp(problems);
    await page.goto(`${stack.webUrl}/settings/webhooks`);
    await page.getByTestId("endpoints-empty").waitFor();

    // A malformed URL (here, not http or https) and no events: each refused under its own field.
    await page.getByLabel(/^URL/).fill("ftp://files.example/hook");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect(page.locator("#endpoint-url-error").textContent()).resolves.toMatch(
      /must be a full https URL/i,
    );
    expect(await page.getByLabel(/^URL/).inputValue()).toBe("ftp://files.example/hook");
    const hookUrl = receiver.url(`/settings-${randomUUID()}`);
    await page.getByLabel(/^URL/).fill(hookUrl);
    for (const box of await page.getByRole("checkbox").all()) await box.uncheck();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect(page.locator("#events-error").textContent()).resolves.toBe("Choose at least one event.");

    await page.getByRole("checkbox", { name: /lead\.routed/ }).check();
    await page.getByRole("checkbox", { name: /lead\.failed/ }).check();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByTestId("created-endpoint").waitFor();
    const secret = await page.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    await expect(page.getByTestId("created-endpoint").textContent()).resolves.toContain(
      "it will not be shown again",
    );
    const row = page.getByTestId("endpoint-row").filter({ hasText: hookUrl });
    await expect(row.textContent()).resolves.toMatch(/lead\.routed.*lead\.failed.*Active/s);
    await page.reload();
    expect(await page.content()).not.toContain(secret);

    // The endpoint's page: a test ping is delivered, signed with that secret, and listed as delivered.
    await row.getByRole("link").click();
    await page.waitForURL(/\/settings\/webhooks\/[0-9a-f-]{36}$/);
    const endpointId = new URL(page.url()).pathname.split("/").pop()!;
    await page.getByRole("button", { name: "Send test ping" }).click();
    await page.getByTestId("queued").waitFor();
    const delivery = page.getByTestId("webhook-delivery").first();
    await page.waitForSelector('[data-testid="webhook-delivery"][data-status="delivered"]', {
      timeout: 15_000,
    });
    await expect(delivery.textContent()).resolves.toMatch(/ping/);
    await expect(delivery.getByTestId("attempts").textContent()).resolves.toBe("1");
    const path = new URL(hookUrl).pathname;
    const [ping] = receiver.receipts.filter((r) => r.path === path);
    const verified = new Webhook(secret).verify(ping!.body, ping!.headers as Record<string, string>);
    expect(verified).toMatchObject({ type: "ping", data: { endpoint_id: endpointId } });
    const webhookId = String(ping!.headers["webhook-id"]);
    await page.screenshot({ path: `${SCREENSHOTS}settings-webhook-page.png`, fullPage: true });
    await fitsAPhone(page, "settings-webhook-page-360px");

    // Resend: the receiver gets the same webhook-id again, and the page follows it back to delivered.
    await delivery.getByRole("button", { name: /^Resend/ }).click();
    await waitFor(
      async () => (receiver.forId(webhookId).length === 2 ? true : undefined),
      15_000,
      "the resend",
    );
    await page.waitForSelector('[data-testid="webhook-delivery"][data-status="delivered"]', {
      timeout: 15_000,
    });
    expect(await page.getByTestId("webhook-delivery").count()).toBe(1);

    await expectStrangerSeesNothing(["/settings/webhooks", `/settings/webhooks/${endpointId}`], [hookUrl]);

    // Deleted after a confirmation.
    await confirm(page, "delete-endpoint", "Delete endpoint");
    await page.waitForURL(/\/settings\/webhooks\?deleted=/);
    await expect(page.getByTestId("endpoint-deleted").textContent()).resolves.toContain(hookUrl);
    await page.getByTestId("endpoints-empty").waitFor();
    expect((await page.goto(`${stack.webUrl}/settings/webhooks/${endpointId}`))?.status()).toBe(404);

    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  it("works without JavaScript: keys shown once and revoked, channels and endpoints refused inline and made", async () => {
    const { context, page } = await signUp([], { javaScriptEnabled: false });

    // A key, shown once as selectable text (no script: no Copy button), then revoked through the disclosure.
    await page.goto(`${stack.webUrl}/settings/api-keys`);
    await page.getByLabel(/^Name/).fill("Nightly export");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = await page.getByLabel("Your new API key").inputValue();
    expect(key).toMatch(/^lf_/);
    expect(await page.getByTestId("new-key").getByRole("button", { name: /^Copy/ }).count()).toBe(0);
    await expect(page.getByTestId("new-key").textContent()).resolves.toContain("Select the text to copy it.");
    expect((await api("/leads", { token: key })).status).toBe(200);
    await confirm(page.getByTestId("key-row"), "revoke-key", "Revoke key");
    await page.getByTestId("key-revoked").waitFor();
    expect((await api("/leads", { token: key })).status).toBe(401);

    // A bad origin comes back inline from the server, with what was typed and the same type's form.
    await page.goto(`${stack.webUrl}/settings/channels?type=webchat`);
    await page.getByLabel(/^Name/).fill("No-script chat");
    await page.getByLabel(/^Allowed origins/).fill("https://shop.example/");
    await page.getByRole("button", { name: "Connect Web chat" }).click();
    await expect(page.locator("#allowed-origins-error").textContent()).resolves.toMatch(
      /^Line 1 \(“https:\/\/shop\.example\/”\): must be an origin/,
    );
    expect(await page.getByLabel(/^Name/).inputValue()).toBe("No-script chat");
    await page.getByLabel(/^Allowed origins/).fill("https://shop.example");
    await page.getByRole("button", { name: "Connect Web chat" }).click();
    await expect(page.getByTestId("widget-snippet").locator("textarea").inputValue()).resolves.toMatch(
      /^<script src=".+\/widget\.js" data-leadflow-key="lfpk_[^"]+" async><\/script>$/,
    );

    // Mailgun's signing key appears by CSS alone once Mailgun is chosen.
    await chooseType(page, "Email", "email");
    expect(await page.getByLabel(/Mailgun signing key/).isVisible()).toBe(false);
    await page.getByRole("radio", { name: "Mailgun" }).check();
    expect(await page.getByLabel(/Mailgun signing key/).isVisible()).toBe(true);
    await page.getByLabel(/^Name/).fill("No-script mail");
    await page.getByLabel(/Mailgun signing key/).fill("key-nojs-0123456789");
    await page.getByRole("button", { name: "Connect Email" }).click();
    await expect(page.getByLabel("Inbound URL").inputValue()).resolves.toMatch(/\/inbound\/email\//);

    // An endpoint: made, its secret shown, then a test ping queued from its page.
    await page.goto(`${stack.webUrl}/settings/webhooks`);
    await page.getByLabel(/^URL/).fill(receiver.url(`/nojs-${randomUUID()}`));
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect(page.getByLabel("Signing secret").inputValue()).resolves.toMatch(/^whsec_/);
    await page.getByTestId("endpoint-row").getByRole("link").click();
    await page.getByRole("button", { name: "Send test ping" }).click();
    await page.getByTestId("queued").waitFor();
    await context.close();
  }, 60_000);
});
