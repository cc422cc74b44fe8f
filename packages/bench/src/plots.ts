/**
 * Charts of the report: vega-lite specifications compiled to vega and rendered to SVG in Node (vega's
 * headless `renderer: "none"` view; no canvas needed for SVG).
 *
 * @module
 */
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

const FONT = { config: { font: "Helvetica, Arial, sans-serif", view: { stroke: "#ddd" } } };

/** Renders a vega-lite specification to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile({ ...FONT, ...spec } as TopLevelSpec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return `${svg}\n`;
}

/** One bar per contender and workload: throughput relative to the workload's baseline, on a log scale. */
export function ratioChart(
  title: string,
  rows: { workload: string; contender: string; ratio: number }[],
): TopLevelSpec {
  return {
    title,
    data: { values: rows },
    facet: {
      row: { field: "workload", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left" } },
    },
    spec: {
      width: 420,
      height: { step: 14 },
      layer: [
        {
          // Bars grow from 1 (the baseline) to the ratio: left when slower, right when faster.
          mark: "bar",
          encoding: {
            y: { field: "contender", type: "nominal", title: null, axis: { labelLimit: 0 } },
            x: {
              field: "ratio",
              type: "quantitative",
              scale: { type: "log" },
              axis: { grid: true, tickCount: 6, format: "~g" },
              title: "throughput / baseline (log scale; 1 = new Uint8Array + GC)",
            },
            x2: { datum: 1 },
            color: { field: "contender", type: "nominal", legend: null },
          },
        },
        { mark: { type: "rule", color: "#333" }, encoding: { x: { datum: 1 } } },
      ],
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}

/** Throughput against worker count, one line per contender, one panel per workload family. */
export function scalingChart(
  rows: { family: string; workers: number; contender: string; mops: number }[],
): TopLevelSpec {
  return {
    title: "Scaling over workers (aggregate throughput; 2 × cores is oversubscribed)",
    data: { values: rows },
    facet: { field: "family", type: "nominal", title: null },
    columns: 3,
    spec: {
      width: 220,
      height: 160,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "workers", type: "ordinal", title: "workers" },
        y: {
          field: "mops",
          type: "quantitative",
          scale: { type: "log" },
          axis: { tickCount: 4, format: "~g" },
          title: "M ops/s (log)",
        },
        color: {
          field: "contender",
          type: "nominal",
          legend: { orient: "bottom", columns: 1, labelLimit: 0 },
        },
      },
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}

/** Latency percentiles of single operations, one line per contender. */
export function latencyChart(rows: { contender: string; percentile: string; ns: number }[]): TopLevelSpec {
  return {
    title: "Latency of one free+malloc pair, random replace with 10k live blocks",
    data: { values: rows },
    width: 420,
    height: 220,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "percentile", type: "ordinal", sort: ["p50", "p90", "p99", "p99.9", "max"], title: null },
      y: {
        field: "ns",
        type: "quantitative",
        scale: { type: "log" },
        axis: { tickCount: 5, format: "~s" },
        title: "ns per operation (log)",
      },
      color: {
        field: "contender",
        type: "nominal",
        legend: { orient: "bottom", columns: 1, labelLimit: 0 },
      },
    },
  } as TopLevelSpec;
}

/** Peak committed heap bytes (and process RSS growth, where measured) per live byte. */
export function memoryChart(
  rows: { workload: string; contender: string; measure: string; perLive: number }[],
): TopLevelSpec {
  return {
    title: "Memory held per live byte at peak (1 = no overhead)",
    data: { values: rows },
    facet: {
      row: { field: "workload", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left" } },
    },
    spec: {
      width: 420,
      height: { step: 12 },
      layer: [
        {
          mark: "bar",
          encoding: {
            y: { field: "contender", type: "nominal", title: null, axis: { labelLimit: 0 } },
            yOffset: { field: "measure", type: "nominal" },
            x: {
              field: "perLive",
              type: "quantitative",
              scale: { type: "log" },
              axis: { tickCount: 6, format: "~g" },
              title: "bytes held / peak live bytes (log)",
            },
            x2: { datum: 1 },
            color: { field: "measure", type: "nominal", legend: { orient: "bottom", title: null } },
          },
        },
        { mark: { type: "rule", color: "#333" }, encoding: { x: { datum: 1 } } },
      ],
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}
