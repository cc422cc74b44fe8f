/**
 * Draws a `HeapSnapshot` (from `heap.snapshot()`) on a 2D canvas:
 * ```
 * +-------------------------------------------------------------+---------------------+
 * | title, legend                                               |                     |
 * | bytes: committed | mapped | slabs | pooled | live | cached   |  workers: ops, kept, |
 * | committed vs live over time                                 |  cached bytes,      |
 * | class 16 B   [slab][slab][slab] ...                         |  claimed slabs      |
 * | class 32 B   [slab] ...        each slab: one pixel cell per |                     |
 * | ...                            block (or blocks per pixel)  |                     |
 * | medium       [chunk][chunk] ... each chunk: a cell per unit |                     |
 * +-------------------------------------------------------------+---------------------+
 * ```
 * A slab's cells are orange when live, blue when free but held in a thread's cache, dark when free in the
 * slab; a slab claimed by a thread has a frame in that thread's colour. Medium chunks (257 B-16 KiB blocks in
 * 64-byte units) are drawn unit by unit in the same colours, purple for blocks freed by another thread and
 * waiting for the chunk's owner, framed in the owner's colour.
 *
 * @module
 */
import {
  BLOCK_CACHED,
  BLOCK_FREE,
  BLOCK_LIVE,
  BLOCK_PENDING,
  type HeapSnapshot,
  type MediumChunkSnapshot,
  type SlabSnapshot,
  UNIT,
} from "@allocators/elfmalloc";

const BACKGROUND = "#14161c";
const TEXT = "#d8dee9";
const DIM = "#7b8394";
/** RGB of each block state, indexed by BLOCK_FREE (0), BLOCK_LIVE (1), BLOCK_CACHED (2) and BLOCK_PENDING (3). */
const STATE_RGB = [
  [52, 58, 72],
  [242, 142, 43],
  [78, 121, 167],
  [176, 122, 161],
] as const;
const THREAD_COLOURS = [
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

const PANEL_X = 960;
const SLABS_Y = 240;

/** Per worker counters shown next to its thread's caches. */
export interface WorkerCounters {
  ops: number;
  kept: number;
}

/** Committed and live bytes of the last frames, oldest first. */
export class History {
  readonly committed: number[] = [];
  readonly live: number[] = [];
  constructor(readonly length = 300) {}

  add(committed: number, live: number): void {
    this.committed.push(committed);
    this.live.push(live);
    if (this.committed.length > this.length) {
      this.committed.shift();
      this.live.shift();
    }
  }
}

/** The colour of thread slot `slot`. */
export function threadColour(slot: number): string {
  return THREAD_COLOURS[slot % THREAD_COLOURS.length];
}

/** Draws one frame. `pageSlot` is the page's own thread slot (it creates the heap and never allocates). */
export function draw(
  ctx: CanvasRenderingContext2D,
  picture: HeapSnapshot,
  workers: WorkerCounters[],
  pageSlot: number,
  history: History,
): void {
  const { width, height } = ctx.canvas;
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = "top";
  title(ctx, picture);
  bytes(ctx, picture);
  timeline(ctx, history, 20, 160, PANEL_X - 60, 60);
  slabs(ctx, rowsOf(picture), 20, SLABS_Y, PANEL_X - 40, height - SLABS_Y - 10);
  threads(ctx, picture, workers, pageSlot, PANEL_X, 20, width - PANEL_X - 20);
}

function title(ctx: CanvasRenderingContext2D, picture: HeapSnapshot): void {
  ctx.fillStyle = TEXT;
  ctx.font = "bold 18px sans-serif";
  ctx.fillText("elfmalloc heap, live", 20, 14);
  ctx.font = "12px sans-serif";
  const legend: [string, readonly number[] | string][] = [
    ["live", STATE_RGB[BLOCK_LIVE]],
    ["free, in a worker's cache", STATE_RGB[BLOCK_CACHED]],
    ["free", STATE_RGB[BLOCK_FREE]],
    ["freed by another worker", STATE_RGB[BLOCK_PENDING]],
  ];
  let x = 200;
  for (const [label, colour] of legend) {
    ctx.fillStyle = typeof colour === "string" ? colour : `rgb(${colour.join(",")})`;
    ctx.fillRect(x, 18, 12, 12);
    ctx.fillStyle = TEXT;
    ctx.fillText(label, x + 16, 18);
    x += ctx.measureText(label).width + 30;
  }
  ctx.fillStyle = DIM;
  ctx.fillText(
    `${picture.slabs.length} slabs · ${picture.chunks.length} chunks · ${picture.large.length} large`,
    x,
    18,
  );
}

function bytes(ctx: CanvasRenderingContext2D, picture: HeapSnapshot): void {
  const s = picture.stats;
  const rows: [string, number, string][] = [
    ["committed (buffer)", s.heapBytes, "#5b6478"],
    ["mapped", s.mappedBytes, "#8892a6"],
    ["slabs", s.slabBytes, "#4e79a7"],
    ["parked slabs", s.pooledBytes, "#34495e"],
    ["large blocks", s.largeBytes, "#b07aa1"],
    ["live", s.liveBytes, "#f28e2b"],
    ["cached in workers", s.cachedBytes, "#76b7b2"],
  ];
  const scale = (PANEL_X - 260) / Math.max(1, s.heapBytes);
  ctx.font = "12px sans-serif";
  rows.forEach(([label, value, colour], i) => {
    const y = 46 + i * 15;
    ctx.fillStyle = DIM;
    ctx.fillText(label, 20, y);
    ctx.fillStyle = colour;
    ctx.fillRect(140, y + 1, Math.max(1, value * scale), 11);
    ctx.fillStyle = TEXT;
    ctx.fillText(mib(value), 150 + Math.max(1, value * scale), y);
  });
}

function timeline(
  ctx: CanvasRenderingContext2D,
  history: History,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  ctx.strokeStyle = "#2e3440";
  ctx.strokeRect(x, y, w, h);
  ctx.fillStyle = DIM;
  ctx.font = "11px sans-serif";
  ctx.fillText("committed (grey) vs live (orange) bytes, last 30 s", x + 4, y + 3);
  const top = Math.max(1, ...history.committed);
  const line = (values: number[], colour: string) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => {
      const px = x + (i / Math.max(1, history.length - 1)) * w;
      const py = y + h - 2 - (v / top) * (h - 16);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.stroke();
    ctx.lineWidth = 1;
  };
  line(history.committed, "#8892a6");
  line(history.live, "#f28e2b");
}

/** A tile: the states of a slab's blocks or a chunk's units, and the owning thread's slot (-1: none). */
interface Tile {
  blocks: Uint8Array;
  owner: number;
}

/** One row of tiles: a size class's slabs, or the medium chunks. */
interface Row {
  label: string;
  live: number;
  tiles: Tile[];
}

/** A row per size class in use, then one for the medium chunks. */
function rowsOf(picture: HeapSnapshot): Row[] {
  const byClass = new Map<number, SlabSnapshot[]>();
  for (const slab of picture.slabs) {
    const list = byClass.get(slab.classIndex) ?? [];
    list.push(slab);
    byClass.set(slab.classIndex, list);
  }
  const rows: Row[] = [...byClass.values()].map((list) => ({
    label: `${size(list[0].size)} ×${list.length}`,
    live: list.reduce((n, s) => n + s.liveBlocks, 0),
    tiles: list,
  }));
  if (picture.chunks.length > 0) {
    rows.push({
      label: `medium ×${picture.chunks.length}`,
      live: picture.chunks.reduce((n, c) => n + c.liveBlocks, 0),
      tiles: picture.chunks.map(unitsOf),
    });
  }
  return rows;
}

/** A chunk as a tile of units, each in the state of the block it belongs to. */
function unitsOf(chunk: MediumChunkSnapshot): Tile {
  const units = new Uint8Array(chunk.blocks.reduce((n, b) => n + b.bytes / UNIT, 0));
  let at = 0;
  for (const block of chunk.blocks) {
    units.fill(block.state, at, at + block.bytes / UNIT);
    at += block.bytes / UNIT;
  }
  return { blocks: units, owner: chunk.owner };
}

function slabs(ctx: CanvasRenderingContext2D, rows: Row[], x: number, y: number, w: number, h: number): void {
  const rowH = Math.max(8, Math.min(28, Math.floor(h / Math.max(1, rows.length))));
  const tileH = rowH - 3;
  const labelW = 118;
  // As wide as the longest row allows, between 2 and 8 times the height: wider tiles show more blocks.
  const longest = Math.max(1, ...rows.map((row) => row.tiles.length));
  const tileW = Math.max(tileH * 2, Math.min(tileH * 8, Math.floor((w - labelW) / longest) - 3));
  ctx.font = `${Math.min(12, rowH - 1)}px sans-serif`;
  rows.forEach((row, r) => {
    const ry = y + r * rowH;
    if (ry + rowH > y + h) return;
    ctx.fillStyle = DIM;
    ctx.fillText(row.label, x, ry);
    ctx.fillStyle = TEXT;
    ctx.fillText(`${row.live}`, x + labelW - 38, ry);
    const fit = Math.floor((w - labelW) / (tileW + 3));
    row.tiles.slice(0, fit).forEach((t, i) => {
      tile(ctx, t, x + labelW + i * (tileW + 3), ry, tileW, tileH);
    });
    if (row.tiles.length > fit) {
      ctx.fillStyle = DIM;
      ctx.fillText(`+${row.tiles.length - fit}`, x + labelW + fit * (tileW + 3) - 24, ry);
    }
  });
}

/** One slab or chunk as a `w`×`h` bitmap: each pixel mixes the states of the blocks it covers. */
function tile(ctx: CanvasRenderingContext2D, slab: Tile, x: number, y: number, w: number, h: number): void {
  const image = ctx.createImageData(w, h);
  const pixels = w * h;
  const n = slab.blocks.length;
  for (let p = 0; p < pixels; p++) {
    const from = Math.floor((p * n) / pixels);
    const to = Math.max(from + 1, Math.floor(((p + 1) * n) / pixels));
    let red = 0;
    let green = 0;
    let blue = 0;
    for (let b = from; b < to; b++) {
      const rgb = STATE_RGB[slab.blocks[b]];
      red += rgb[0];
      green += rgb[1];
      blue += rgb[2];
    }
    const k = to - from;
    image.data[p * 4] = red / k;
    image.data[p * 4 + 1] = green / k;
    image.data[p * 4 + 2] = blue / k;
    image.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(image, x, y);
  if (slab.owner >= 0) {
    ctx.strokeStyle = threadColour(slab.owner);
    ctx.strokeRect(x - 0.5, y - 0.5, w + 1, h + 1);
  }
}

function threads(
  ctx: CanvasRenderingContext2D,
  picture: HeapSnapshot,
  workers: WorkerCounters[],
  pageSlot: number,
  x: number,
  y: number,
  w: number,
): void {
  ctx.fillStyle = TEXT;
  ctx.font = "bold 14px sans-serif";
  ctx.fillText("threads and their caches", x, y);
  const most = Math.max(1, ...picture.threads.map((t) => t.cachedBytes));
  let worker = 0;
  picture.threads.forEach((t, i) => {
    const ty = y + 28 + i * 62;
    const isPage = t.slot === pageSlot;
    const counters = isPage ? undefined : workers[worker++];
    ctx.fillStyle = threadColour(t.slot);
    ctx.fillRect(x, ty, 10, 10);
    ctx.fillStyle = TEXT;
    ctx.font = "12px sans-serif";
    ctx.fillText(
      isPage ? `slot ${t.slot}: the page (reads only)` : `slot ${t.slot}: worker ${worker - 1}`,
      x + 16,
      ty,
    );
    ctx.fillStyle = DIM;
    if (counters) {
      ctx.fillText(
        `${counters.ops.toLocaleString("en")} ops · keeps ${counters.kept} blocks`,
        x + 16,
        ty + 15,
      );
    }
    ctx.fillText(
      `cache: ${t.cachedBlocks} blocks, ${kib(t.cachedBytes)} · ${t.classes.filter((c) => c.slab !== 0).length} claimed slabs`,
      x + 16,
      ty + 30,
    );
    ctx.fillStyle = `rgb(${STATE_RGB[BLOCK_CACHED].join(",")})`;
    ctx.fillRect(x + 16, ty + 45, Math.max(1, ((w - 16) * t.cachedBytes) / most), 8);
  });
}

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(2)} MiB`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function size(bytes: number): string {
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(bytes % 1024 ? 1 : 0)} KiB` : `${bytes} B`;
}
