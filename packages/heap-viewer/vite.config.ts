import { defineConfig } from "vite";

/**
 * The demo page: `pnpm --filter @allocators/heap-viewer dev` (or `build` then `preview`). Both servers send
 * COOP/COEP so the page is cross-origin isolated and SharedArrayBuffer exists; the `source` condition runs
 * the workspace's TypeScript sources of elfmalloc and its dependencies.
 */
const crossOriginIsolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  resolve: { conditions: ["source", "browser", "module", "import", "default"] },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  worker: { format: "es" },
  build: { target: "es2022" },
});
