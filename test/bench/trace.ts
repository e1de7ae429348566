// Tracing a full block (issue 13): debug_traceBlock's job, as the RPC call workers run it, on the
// benchmark's 30M-gas blocks, with callTracer, the struct logger with a `limit`, and (for reference)
// no tracer at all. Reports wall time, the answer's JSON size and the peak heap growth over the run
// (sampled every 5 ms, after a GC): with `limit`, the struct logger must stay near the callTracer's
// memory, not grow with the block's opcode count.
//
//   npm run bench:trace [-- --gas 30M] [--only erc20,uniswap] [--runs 3] [--limit 100] [--json]
//
// Needs `node --expose-gc` (the npm script passes it) for stable memory figures.
import { parseArgs } from 'node:util'
import type { BlockHeader } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { viaGetSync } from '../../src/db/interface.ts'
import type { CallBackend } from '../../src/rpc/eth/call-job.ts'
import { stateAfter } from '../../src/rpc/eth/resolve.ts'
import { runTraceJob } from '../../src/rpc/debug/trace-job.ts'
import { DEFAULT_TRACE_OPTIONS, type TraceOptions } from '../../src/rpc/debug/tracer.ts'
import { DEFAULT_SEED } from '../helpers/workloads/named.ts'
import { median } from './measure.ts'
import { parseGas, parseOnly, rowWorkload, selectRows } from './rows.ts'
import { setupBenchBlock } from './setup.ts'

const { values } = parseArgs({
  options: {
    gas: { type: 'string', default: '30M' },
    only: { type: 'string', multiple: true },
    runs: { type: 'string', default: '3' },
    limit: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
  },
})
const gas = parseGas(values.gas!)
const runs = Number(values.runs)
const limit = Number(values.limit)
const rows = selectRows(parseOnly(values.only ?? ['erc20/independent', 'uniswap/independent-pools', 'mixed/hybrid-hot30']))
const gc = (globalThis as { gc?: () => void }).gc

const configs: { name: string; options: TraceOptions }[] = [
  { name: 'noopTracer', options: { ...DEFAULT_TRACE_OPTIONS, tracer: 'noopTracer', timeoutMs: 0 } },
  { name: 'callTracer', options: { ...DEFAULT_TRACE_OPTIONS, tracer: 'callTracer', timeoutMs: 0 } },
  { name: `structLogger limit ${limit}`, options: { ...DEFAULT_TRACE_OPTIONS, limit, timeoutMs: 0 } },
]

/** Runs `fn`, sampling the heap every 5 ms: wall ms and the peak heap growth over the start. */
async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakMiB: number }> {
  gc?.()
  const base = process.memoryUsage().heapUsed
  let peak = base
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed)
  }, 5)
  const t = performance.now()
  try {
    const value = await fn()
    peak = Math.max(peak, process.memoryUsage().heapUsed)
    return { value, ms: performance.now() - t, peakMiB: (peak - base) / 2 ** 20 }
  } finally {
    clearInterval(timer)
  }
}

const out: { row: string; txs: number; gas: string; tracer: string; ms: number; peakMiB: number; jsonMiB: number }[] = []
for (const row of rows) {
  const bench = await setupBenchBlock(rowWorkload(row, DEFAULT_SEED), gas)
  try {
    const headers = new Map<string, BlockHeader>([[bytesToHex(bench.parent.hash()), bench.parent]])
    const backend: CallBackend = {
      common: bench.common,
      headerByHash: async (h) => headers.get(bytesToHex(h)),
      stateAt: (h) => stateAfter(viaGetSync(bench.kv), h),
      kv: viaGetSync(bench.kv),
    }
    for (const { name, options } of configs) {
      const times: number[] = []
      const peaks: number[] = []
      let size = 0
      for (let i = 0; i < runs; i++) {
        const r = await measure(() => runTraceJob(backend, { method: 'debug_traceBlock', blockRlp: bench.rlp, options, deadline: Infinity, timeoutMs: 0 }))
        times.push(r.ms)
        peaks.push(r.peakMiB)
        size = JSON.stringify(r.value).length
      }
      out.push({ row, txs: bench.txCount, gas: `${Number(bench.gasUsed) / 1e6}M`, tracer: name, ms: median(times), peakMiB: median(peaks), jsonMiB: size / 2 ** 20 })
      if (!values.json) {
        const last = out[out.length - 1]!
        console.log(`${row.padEnd(28)} ${String(last.txs).padStart(5)} txs ${last.gas.padStart(7)}  ${name.padEnd(22)} ${last.ms.toFixed(0).padStart(7)} ms  heap +${last.peakMiB.toFixed(0).padStart(5)} MiB  answer ${last.jsonMiB.toFixed(1).padStart(6)} MiB`)
      }
    }
  } finally {
    await bench.close()
  }
}
if (values.json) console.log(JSON.stringify(out, null, 2))
if (gc === undefined) console.error('note: run with node --expose-gc for stable heap figures')
