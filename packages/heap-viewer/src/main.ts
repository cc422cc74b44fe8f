/** The page's entry: starts the viewer on the page's canvas. */
import { startViewer } from "./viewer.js";

const canvas = document.querySelector<HTMLCanvasElement>("#heap")!;
const status = document.querySelector<HTMLElement>("#status")!;
if (!crossOriginIsolated) {
  status.textContent =
    "This page needs cross-origin isolation (COOP/COEP headers) for SharedArrayBuffer: run it with `pnpm --filter @allocators/heap-viewer dev`.";
} else {
  const workers = Number(new URLSearchParams(location.search).get("workers") ?? 4);
  Object.assign(globalThis, { viewer: startViewer({ canvas, status, workers }) });
}
