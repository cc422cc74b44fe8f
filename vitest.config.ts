import { defineConfig } from "vitest/config";

// Runs the tests of every package from the root; each package also runs alone with
// `pnpm --filter @allocators/<name> test`, using its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts"],
  },
});
