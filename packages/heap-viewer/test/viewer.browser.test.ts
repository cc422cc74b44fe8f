import { expect, inject, it } from "vitest";
import { commands, page } from "vitest/browser";
import type { Viewer } from "../src/viewer.js";

declare module "vitest" {
  interface ProvidedContext {
    /** Set by the browser project (packages/test-kit/vitest.browser.ts) from `WRITE_SCREENSHOT=1`. */
    writeScreenshots: boolean;
  }
}

// Runs in headless Chromium (the browser project): loads the demo page (index.html) in an iframe of the same
// cross-origin-isolated server, checks that it draws, that the picture changes, and that every worker
// churns the heap; saves a screenshot for info/ (only when missing, or asked for with WRITE_SCREENSHOT=1, so
// that a run leaves the tree clean), then stops the workers and checks the heap.

/** The screenshot: `commands.readFile` resolves from the repository root, `page.screenshot` from this file. */
const SCREENSHOT = "info/heap-viewer.png";
const SCREENSHOT_FROM_HERE = "../../../info/heap-viewer.png";

const WORKERS = 4;

function loadPage(): Promise<HTMLIFrameElement> {
  const frame = document.createElement("iframe");
  frame.width = "1290";
  frame.height = "800";
  frame.style.border = "0";
  const url = new URL("../index.html", import.meta.url);
  url.searchParams.set("workers", String(WORKERS));
  frame.src = url.href;
  document.body.append(frame);
  return new Promise((resolve) => frame.addEventListener("load", () => resolve(frame), { once: true }));
}

/** Pixels of the canvas that are not the background colour, and the pixels themselves. */
function pixels(canvas: HTMLCanvasElement): Uint8ClampedArray {
  return canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
}

function countDrawn(data: Uint8ClampedArray): number {
  let drawn = 0;
  for (let i = 0; i < data.length; i += 4)
    if (data[i] !== 0x14 || data[i + 1] !== 0x16 || data[i + 2] !== 0x1c) drawn++;
  return drawn;
}

function countChanged(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let changed = 0;
  for (let i = 0; i < a.length; i += 4)
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) changed++;
  return changed;
}

it("draws a heap that several Web Workers churn, live, and the heap is consistent when they stop", async () => {
  const frame = await loadPage();
  const win = frame.contentWindow as Window & { viewer?: Viewer };
  expect(win.crossOriginIsolated).toBe(true);
  const doc = frame.contentDocument!;
  const status = doc.querySelector<HTMLElement>("#status")!;
  const canvas = doc.querySelector<HTMLCanvasElement>("#heap")!;
  await expect.poll(() => Number(status.dataset.frames ?? 0), { timeout: 20_000 }).toBeGreaterThanOrEqual(5);

  const before = pixels(canvas);
  expect(countDrawn(before)).toBeGreaterThan(20_000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const after = pixels(canvas);
  expect(countChanged(before, after)).toBeGreaterThan(500);
  // Every worker ran: its operation count grows; some blocks were freed by another worker than their own.
  await expect
    .poll(() => (status.dataset.opsPerWorker ?? "").split(",").map(Number), { timeout: 20_000 })
    .toSatisfy((ops: number[]) => ops.length === WORKERS && ops.every((n) => n > 1000));
  expect(Number(status.dataset.crossFrees)).toBeGreaterThan(0);
  expect(Number(status.dataset.slabs)).toBeGreaterThan(10);
  expect(Number(status.dataset.chunks)).toBeGreaterThan(0);
  expect(status.dataset.errors).toBe("");

  const missing = await commands.readFile(SCREENSHOT, "base64").then(
    () => false,
    () => true,
  );
  if (inject("writeScreenshots") || missing)
    await page.screenshot({ element: frame, path: SCREENSHOT_FROM_HERE });

  const problems = await win.viewer!.stop();
  expect(problems).toEqual([]);
  expect(win.viewer!.heap.stats().liveBytes).toBe(0);
  frame.remove();
}, 60_000);
