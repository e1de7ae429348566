// src/parallelism: how parallel each block is and what serialises it. `recorder.ts` records every
// transaction's reads and writes by an instrumented re-execution, `dag.ts` builds the read-after-write
// DAG (critical path, P-thread bounds, hot keys), `block.ts` the per-block report, `rpc.ts` the
// parallax_blockParallelism method (its re-execution is a call-worker job, `job.ts`), `records.ts`
// the parallel executor's own records, `metrics.ts`/`monitor.ts` the Prometheus metrics,
// `analyze.ts`/`report.ts` the `parallax analyze` command and its report, `page.ts` the /parallax page.
export { analyseRecording, blockReport, recordBlock, withExecutor, type Recording } from './block.ts'
export { criticalPath, dependencies, hotKeys, PS, type Dependency, type HotKey, type PathStats, type TxAccess } from './dag.ts'
export { ParallelismMetrics, PARALLELISM_METRIC_NAMES } from './metrics.ts'
export { startParallelismMonitor } from './monitor.ts'
export { parallaxPages, PAGE_PATH } from './page.ts'
export { ExecutorRecords, type ExecutorRecord } from './records.ts'
export { createParallelism, type BlockParallelism } from './rpc.ts'
export type { BlockParallelismRpc, TxParallelismRpc } from './types.ts'
