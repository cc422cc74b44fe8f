/**
 * The demo: creates an elfmalloc heap on the page, starts workers that churn it, and draws it about ten
 * times a second from `heap.snapshot()`. The page's main thread only reads the heap and never blocks: it does
 * not allocate, and the snapshot's `stats()` part takes mmap-alloc's lock by spinning, never by
 * `Atomics.wait`, on a main thread.
 *
 * @module
 */
import { ElfMalloc } from "@allocators/elfmalloc";
import { draw, History } from "./draw.js";
import { COUNTER_FIELDS, CROSS_FREES, FAILED, KEPT, OPS, type WorkerJob } from "./protocol.js";

/** Options of {@link startViewer}. */
export interface ViewerOptions {
  canvas: HTMLCanvasElement;
  /** Where the counters are written as text (and as data- attributes, for tests). */
  status: HTMLElement;
  /** Churn workers (default 4). */
  workers?: number;
  /** The most bytes the heap may span (default 128 MiB). */
  maxBytes?: number;
  /** Milliseconds between frames (default 100: ten frames a second). */
  frameMs?: number;
}

/** What {@link startViewer} returns: live counters, and `stop()`. */
export interface Viewer {
  readonly heap: ElfMalloc;
  /** Frames drawn so far. */
  readonly frames: number;
  /** Operations done by all workers so far. */
  readonly ops: number;
  /** Frees of blocks another worker allocated. */
  readonly crossFrees: number;
  /** Errors the workers raised. */
  readonly errors: readonly string[];
  /** Asks the workers to free their blocks and detach, waits for them, stops drawing and returns the heap's `check()`. */
  stop(): Promise<string[]>;
}

/** Starts the workers and the drawing. */
export function startViewer(options: ViewerOptions): Viewer {
  const workerCount = options.workers ?? 4;
  const heap = ElfMalloc.create({ maxBytes: options.maxBytes ?? 128 << 20, checked: true });
  const counters = new Int32Array(new SharedArrayBuffer(workerCount * COUNTER_FIELDS * 4));
  const control = new Int32Array(new SharedArrayBuffer(8));
  const mailbox = new SharedArrayBuffer(64 * 4);
  const errors: string[] = [];
  const workers = Array.from({ length: workerCount }, (_, index) => {
    const worker = new Worker(new URL("./churn-worker.ts", import.meta.url), { type: "module" });
    worker.onerror = (event) => {
      errors.push(`worker ${index}: ${event.message || "failed to load"}`);
    };
    const job: WorkerJob = {
      heap: heap.shareThread(),
      index,
      seed: 0x9e3779b9 * (index + 1),
      counters: counters.buffer as SharedArrayBuffer,
      control: control.buffer as SharedArrayBuffer,
      mailbox,
    };
    worker.postMessage(job);
    return worker;
  });
  const ctx = options.canvas.getContext("2d");
  if (!ctx) throw new Error("no 2d context");
  const sum = (field: number) => {
    let total = 0;
    for (let w = 0; w < workerCount; w++) total += Atomics.load(counters, w * COUNTER_FIELDS + field);
    return total;
  };
  let frames = 0;
  const history = new History();
  const frame = () => {
    const picture = heap.snapshot();
    history.add(picture.stats.heapBytes, picture.stats.liveBytes);
    const perWorker = Array.from({ length: workerCount }, (_, w) => ({
      ops: Atomics.load(counters, w * COUNTER_FIELDS + OPS),
      kept: Atomics.load(counters, w * COUNTER_FIELDS + KEPT),
    }));
    draw(ctx, picture, perWorker, heap.threadId, history);
    frames++;
    const status = options.status;
    status.dataset.frames = String(frames);
    status.dataset.ops = String(sum(OPS));
    status.dataset.crossFrees = String(sum(CROSS_FREES));
    status.dataset.failed = String(sum(FAILED));
    status.dataset.slabs = String(picture.slabs.length);
    status.dataset.chunks = String(picture.chunks.length);
    status.dataset.opsPerWorker = perWorker.map((w) => w.ops).join(",");
    status.dataset.errors = errors.join("; ");
    status.textContent =
      `${workerCount} workers · ${sum(OPS).toLocaleString("en")} ops · ` +
      `${sum(CROSS_FREES).toLocaleString("en")} cross-worker frees · ${sum(FAILED)} failed mallocs · ` +
      `frame ${frames}${errors.length ? ` · ${errors.join("; ")}` : ""}`;
  };
  frame();
  const timer = setInterval(frame, options.frameMs ?? 100);
  return {
    heap,
    get frames() {
      return frames;
    },
    get ops() {
      return sum(OPS);
    },
    get crossFrees() {
      return sum(CROSS_FREES);
    },
    errors,
    async stop() {
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 1);
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker.onmessage = () => resolve();
            }),
        ),
      );
      for (const worker of workers) worker.terminate();
      clearInterval(timer);
      frame();
      // Blocks left in the mailbox belong to nobody now: the page frees them (main-thread free never blocks).
      const slots = new Int32Array(mailbox);
      for (let i = 0; i < slots.length; i++) {
        const ptr = Atomics.exchange(slots, i, 0) >>> 0;
        if (ptr !== 0) heap.free(ptr);
      }
      return heap.check();
    },
  };
}
