import { answerWith } from "@allocators/test-kit/browser";
import { type Descriptor, EMPTY } from "../../src/index.js";
import { attach, indexOf, itemOf, type Kind, pause } from "./structures.js";

/**
 * A Web Worker on a structure another thread created: a producer pushes items `from..to` (spinning with a
 * short pause while full); a consumer takes items with the blocking `pop` (a worker may block, the page may
 * not) until the channel is closed and drained, counting each in `seen`. Answers how many items it moved.
 */
answerWith(
  (job: {
    kind: Kind;
    descriptor: Descriptor;
    role: "producer" | "consumer";
    from: number;
    to: number;
    seen: SharedArrayBuffer;
  }) => {
    const channel = attach(job.kind, job.descriptor);
    let moved = 0;
    if (job.role === "producer") {
      for (let i = job.from; i < job.to; i++) {
        while (!channel.tryPush(itemOf(i))) pause();
        moved++;
      }
      return moved;
    }
    const seen = new Int32Array(job.seen);
    for (
      let item = channel.pop({ timeout: 30_000 });
      item !== EMPTY;
      item = channel.pop({ timeout: 30_000 })
    ) {
      Atomics.add(seen, indexOf(item), 1);
      moved++;
    }
    return moved;
  },
);
