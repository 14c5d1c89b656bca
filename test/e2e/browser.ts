import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { onTestFailed } from "vitest";

export const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
mkdirSync(SCREENSHOTS, { recursive: true });

/** On a failure: what the browser showed, and what the web server said. */
export function diagnoseOnFailure(page: Page, name: string, webOutput: () => string) {
  onTestFailed(async () => {
    await page.screenshot({ path: `${SCREENSHOTS}failure-${name}.png`, fullPage: true }).catch(() => {});
    console.error(`failed at ${page.url()}; web server output:\n${webOutput()}`);
  });
}
