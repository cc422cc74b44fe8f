import { defineConfig } from "vitest/config";
import { browserProject } from "./packages/test-kit/vitest.browser.js";

// Runs the tests of every package from the root; each package also runs alone with
// `pnpm --filter @allocators/<name> test`, using its own vitest.config.ts. The browser project runs every
// package's test/*.browser.test.ts in headless Chromium (`pnpm test:browser` alone).
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", browserProject()],
  },
});
