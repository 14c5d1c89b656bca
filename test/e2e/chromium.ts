import { chromium } from "playwright-core";

/**
 * Debian's Chromium, headless, as PITFALLS.md says to start it here: without the background-networking and
 * component-update flags it keeps dialling Google's hosts, which this machine's closed network refuses.
 */
export const launchChromium = () =>
  chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
