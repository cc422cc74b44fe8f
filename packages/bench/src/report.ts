import type { CaseResult, Workload } from "./harness.js";
export interface WorkloadResult { workload: Workload; cases: CaseResult[] }
export async function writeReport(_r: WorkloadResult[], _o: unknown): Promise<string[]> { return []; }
