import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * The vitest project of one package. `source` is the export condition that points `@allocators/*` imports at
 * `src/*.ts`, so tests run the sources of every package without a build.
 */
export function packageConfig(name: string, overrides: ViteUserConfig["test"] = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ["source", "module", "node", "import", "default"] },
    ssr: { resolve: { conditions: ["source", "node", "import", "default"] } },
    test: {
      name,
      include: ["test/**/*.test.ts"],
      testTimeout: 60_000,
      ...overrides,
    },
  });
}
