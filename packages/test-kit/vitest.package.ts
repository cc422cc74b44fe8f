import { configDefaults, defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * The vitest project of one package. `source` is the export condition that points `@allocators/*` imports at
 * `src/*.ts`, so tests run the sources of every package without a build. `*.browser.test.ts` files run in
 * Chromium, in the browser project of vitest.browser.ts, never in Node.
 */
export function packageConfig(name: string, overrides: ViteUserConfig["test"] = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ["source", "module", "node", "import", "default"] },
    ssr: { resolve: { conditions: ["source", "node", "import", "default"] } },
    test: {
      name,
      include: ["test/**/*.test.ts"],
      exclude: [...configDefaults.exclude, "test/**/*.browser.test.ts"],
      testTimeout: 60_000,
      ...overrides,
    },
  });
}
