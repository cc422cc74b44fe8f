import { env } from "node:process";
import { playwright } from "@vitest/browser-playwright";
import type { TestProjectInlineConfiguration } from "vitest/config";
import { findChromium } from "./chromium.mjs";

/** The name of the browser project: `vitest run --project browser` runs only it, `--project '!browser'` skips it. */
export const BROWSER_PROJECT = "browser";

/**
 * Cross-origin isolation: with these two headers on the page and on every script and worker it loads,
 * `crossOriginIsolated` is true and `SharedArrayBuffer` (and shared `WebAssembly.Memory`) exist. Vitest's
 * browser server applies `server.headers` to its tester page and to every module and worker it serves.
 */
export const CROSS_ORIGIN_ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

/**
 * Flags for headless Chromium on a machine without network access: without the background-networking ones,
 * Chromium opens connections that are refused many at a time and slow every page down.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The vitest project that runs every package's `test/**\/*.browser.test.ts` in one headless Chromium (the
 * system's, found by {@link findChromium}; a test tool's browser download is never used), served with
 * cross-origin isolation. Node projects exclude these files (see vitest.package.ts). Tests read
 * `inject("writeScreenshots")`: true when `WRITE_SCREENSHOT=1` asks them to overwrite the screenshots they keep
 * in the repository (otherwise they write one only where it is missing, so a run leaves the tree clean).
 */
export function browserProject(): TestProjectInlineConfiguration {
  return {
    resolve: { conditions: ["source", "browser", "module", "import", "default"] },
    server: { headers: CROSS_ORIGIN_ISOLATION },
    worker: { format: "es" },
    test: {
      name: BROWSER_PROJECT,
      include: ["packages/*/test/**/*.browser.test.ts"],
      testTimeout: 60_000,
      provide: { writeScreenshots: env.WRITE_SCREENSHOT === "1" },
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        // Wide enough for a page-sized iframe (heap-viewer's test screenshots its demo page).
        viewport: { width: 1320, height: 860 },
        provider: playwright({
          launchOptions: { executablePath: findChromium(), args: CHROMIUM_FLAGS },
        }),
        instances: [{ browser: "chromium" }],
      },
    },
  };
}
