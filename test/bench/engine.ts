// Engine API latency under RPC load (issue 15 item 3): a real `parallax node` process driven by a
// slot-clocked consensus client (forkchoiceUpdated with attributes → getPayload → newPayload →
// forkchoiceUpdated, Lodestar's order) with blocks of ~200 transfers, once alone and once while 8
// clients loop on heavy eth_call and 8 flood cheap eth_* and eth_getLogs. Prints a markdown table of
// p50/p99 per Engine method and the missed slots (no canonical block, getPayload past 1 s, or slots
// of wall time that went by while the calls were stuck).
//   npm run bench:engine -- [--slots 20] [--slot-ms 4000] [--txs 200] [--heavy 8] [--cheap 8]
import { cpus, platform } from 'node:os'
import { ConsensusClient, ENGINE_STEPS, type EngineStep, type SlotRecord } from '../helpers/consensus-client.ts'
import { startFundedNode } from '../helpers/funded-node.ts'
import { Spammer } from '../helpers/spammer.ts'
import { startRpcLoad, type LoadStats } from './rpc-load.ts'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`--${name} must be a non-negative number`)
  return v
}

const SLOTS = arg('slots', 20)
const SLOT_MS = arg('slot-ms', 4000)
const TXS = arg('txs', 200)
const HEAVY = arg('heavy', 8)
const CHEAP = arg('cheap', 8)

interface Phase {
  name: string
  records: SlotRecord[]
  /** Wall time of the run: slots that went by while calls were stuck count as missed too. */
  elapsedMs: number
  load?: LoadStats
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]
}

const fmt = (ms: number | undefined): string => (ms === undefined ? '–' : ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`)
/** Slots of wall time in the run, and those without a block on time (a real CL proposes in the current slot only). */
function missedSlots(p: Phase): { missed: number; slots: number } {
  const slots = Math.max(p.records.length, Math.round(p.elapsedMs / SLOT_MS))
  return { missed: slots - p.records.filter((r) => !r.missed && !r.late).length, slots }
}

const LABELS: Record<EngineStep, string> = {
  forkchoiceUpdatedWithAttributes: 'forkchoiceUpdated + attributes',
  getPayload: 'getPayload',
  newPayload: 'newPayload',
  forkchoiceUpdated: 'forkchoiceUpdated',
}

function table(phases: Phase[]): string {
  const head = `| Engine method | ${phases.map((p) => `${p.name} p50 | ${p.name} p99`).join(' | ')} |`
  const rule = `|---|${phases.map(() => '---:|---:').join('|')}|`
  const rows = ENGINE_STEPS.map((step) => {
    const cells = phases.map((p) => {
      const ms = p.records.map((r) => r.ms[step]).filter((x): x is number => x !== undefined)
      return `${fmt(percentile(ms, 50))} | ${fmt(percentile(ms, 99))}`
    })
    return `| ${LABELS[step]} | ${cells.join(' | ')} |`
  })
  const missedRow = `| missed slots (wall clock) | ${phases.map((p) => `${missedSlots(p).missed} of ${missedSlots(p).slots} |`).join(' | ')} |`
  const txRow = `| transactions per block (mean) | ${phases.map((p) => `${Math.round(p.records.reduce((n, r) => n + Math.max(0, r.txs), 0) / Math.max(1, p.records.length))} |`).join(' | ')} |`
  return [head, rule, ...rows, missedRow, txRow].join('\n')
}

async function main(): Promise<void> {
  const f = await startFundedNode({ keys: 8, gasLimit: BigInt(TXS) * 21_000n + 21_000n, http: true })
  try {
    const refill = TXS + 20
    const spammer = new Spammer(f.node.http!, f.common, f.signers, refill * (2 * SLOTS + 2))
    const phase = async (name: string, loaded: boolean): Promise<Phase> => {
      await spammer.send(refill)
      const load = loaded ? startRpcLoad(f.node.http!, { heavy: HEAVY, cheap: CHEAP }) : undefined
      const sends: Promise<void>[] = []
      const cl = new ConsensusClient({
        engine: f.node.engine,
        common: f.common,
        slotMs: SLOT_MS,
        onSlot: (r) => {
          sends.push(spammer.send(refill))
          process.stderr.write(`${name} slot ${r.slot}: ${r.txs} txs, ${ENGINE_STEPS.map((s) => `${s} ${fmt(r.ms[s])}`).join(', ')}${r.error ? `, ${r.error}` : ''}\n`)
        },
      })
      const started = Date.now()
      const records = await cl.run(SLOTS)
      const elapsedMs = Date.now() - started
      const stats = await load?.stop()
      await Promise.all(sends)
      return { name, records, elapsedMs, ...(stats !== undefined ? { load: stats } : {}) }
    }
    const quiet = await phase('quiet', false)
    const loaded = await phase('loaded', true)
    const cpu = cpus()
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ')
    process.stdout.write(`Engine API latency, ${when} UTC, ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} (${platform()}), Node ${process.version}\n`)
    process.stdout.write(`${SLOTS} slots of ${SLOT_MS / 1000} s per run, blocks of ~${TXS} transfers; loaded: ${HEAVY} clients looping on eth_call (50M gas), ${CHEAP} flooding cheap eth_* and eth_getLogs\n\n`)
    process.stdout.write(`${table([quiet, loaded])}\n\n`)
    const l = loaded.load
    if (l !== undefined) process.stdout.write(`Load served during the loaded run: ${l.heavyCalls} heavy eth_calls, ${l.cheapCalls} cheap calls, ${l.errors} errors.\n`)
    const spam = spammer.stats
    process.stdout.write(`Transfers: ${spam.accepted} of ${spam.sent} accepted into the pool.\n`)
  } finally {
    await f.stop()
  }
}

await main()
