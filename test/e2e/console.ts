import type { Page } from "playwright-core";

/** Resource types a page never loads on purpose with an error status (forms and documents may: a 4xx, a 404). */
const SUBRESOURCES = new Set(["script", "stylesheet", "image", "font", "manifest"]);

/** Problems the browser reports (script errors, CSP violations, failed loads) fail the test at the end. */
export function watchConsole(page: Page, problems: string[]) {
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    // A refused form answers 4xx on purpose (SvelteKit passes fail()'s status on); Chromium logs each one as
    // "Failed to load resource". The failed loads that are problems are caught below, by type.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on("response", (res) => {
    if (res.status() >= 400 && SUBRESOURCES.has(res.request().resourceType())) {
      problems.push(`load: ${res.status()} ${res.url()}`);
    }
  });
  page.on("requestfailed", (req) => {
    // ERR_ABORTED is a navigation cancelling what the page it left was still loading (the live stream).
    const reason = req.failure()?.errorText ?? "";
    if (!reason.includes("ERR_ABORTED")) problems.push(`request failed: ${reason} ${req.url()}`);
  });
}
