/**
 * Web Workers for browser tests (`test/*.browser.test.ts`, run in Chromium by the browser project). Vite serves
 * a worker module from its `new URL("./workers/x.ts", import.meta.url)` like any other module, so the worker
 * runs the same TypeScript sources as the test. The protocol is one request, one answer: the worker receives
 * its data in its first `message` event and answers with one `postMessage`; see {@link answerWith}.
 *
 * The main thread of a page cannot block (`Atomics.wait` throws there), so these helpers only return promises.
 *
 * @module
 */

/** Starts the module at `file` as a module Web Worker. */
export function startWebWorker(file: URL): Worker {
  return new Worker(file, { type: "module" });
}

/**
 * Runs `file` in a Web Worker, posts it `data`, and resolves with its first answer; rejects when the worker
 * throws (an uncaught error or a failed module load) or answers with `{ error }` (see {@link answerWith}).
 * The worker is terminated once settled.
 */
export function runWebWorker<T>(file: URL, data: unknown): Promise<T> {
  const worker = startWebWorker(file);
  return new Promise<T>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent) => {
      const answer = event.data as { error?: string };
      if (answer && typeof answer === "object" && typeof answer.error === "string") {
        reject(new Error(`worker ${file.pathname}: ${answer.error}`));
      } else {
        resolve(event.data as T);
      }
      worker.terminate();
    };
    worker.onerror = (event: ErrorEvent) => {
      reject(new Error(`worker ${file.pathname} failed: ${event.message || "could not load the module"}`));
      worker.terminate();
    };
    worker.postMessage(data);
  });
}

/**
 * The worker side of {@link runWebWorker}: answers the first message with `work(data)` (awaited), or with
 * `{ error }` when it throws, so the test sees the worker's own error message.
 */
export function answerWith<D, T>(work: (data: D) => T | Promise<T>): void {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent) => void) | null;
    postMessage(message: unknown): void;
  };
  scope.onmessage = async (event: MessageEvent) => {
    scope.onmessage = null;
    try {
      scope.postMessage(await work(event.data as D));
    } catch (error) {
      scope.postMessage({
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  };
}
