// `npm run bench:node`: engine_newPayloadV4 end to end on a real `parallax node` process (JSON
// decode, block decode and validation, sender recovery, execution, persistence, flat-state move),
// next to the node's executor alone on the same blocks. Each row's workload is generated for
// `--blocks` blocks of ~30M gas, built into a chain in-process, then, block by block (interleaved,
// 100 ms apart, so both see the same phase of a noisy machine):
//   executor: the block inserted into an in-process Chain over a fresh copy of the genesis, with
//             the node's executor (parallel, default workers) wrapped to time execute();
//   node:     a `parallax node` initialised from the same genesis.json gets newPayloadV4 then
//             forkchoiceUpdatedV3 for the block; the newPayload round trip is timed.
// The first --warmup blocks warm both up (JIT, worker start); medians over the rest, and the
// node/executor column is the median of the per-block ratios.
// Flags: --only <rows> (default erc20/independent,mixed/hybrid-hot30), --blocks N (10), --warmup N (5), --seed N,
// --pause MS (100: between steps).
// Five warm-up blocks: the parallel executor's first blocks are not its steady state (bench/run.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Block, BlockHeader } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import pino from 'pino'
import { genesisBlock, genesisToJson, writeGenesisState, type GenesisSpec } from '../../config/index.ts'
import { Chain } from '../../src/chain/chain.ts'
import { initGenesis } from '../../src/chain/genesis.ts'
import { LevelKV } from '../../src/db/level.ts'
import { blockToPayload } from '../../src/engine-api/block.ts'
import { encodeExecutionPayload } from '../../src/engine-api/codec.ts'
import type { ExecutionOutcome } from '../../src/exec/outcome.ts'
import { SequentialExecutor, type ExecuteRequest, type Executor } from '../../src/exec/sequential.ts'
import { createNodeExecutor } from '../../src/node/executor.ts'
import { NODE_DEFAULTS } from '../../src/cli/flags.ts'
import { REPO_ROOT } from '../helpers/fixtures.ts'
import { RpcClient } from '../helpers/rpc-client.ts'
import { benchCommon, benchGenesis } from '../helpers/workloads/genesis.ts'
import { DEFAULT_SEED } from '../helpers/workloads/named.ts'
import { median } from './measure.ts'
import { parseOnly, rowWorkload, selectRows } from './rows.ts'
import { assembleBlock } from './setup.ts'

const silent = pino({ level: 'silent' })
/** Between steps (blocks come seconds apart on a chain): --pause. */
let PAUSE_MS = 100
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const BIN = join(REPO_ROOT, 'bin', 'parallax.js')
const log = (m: string): void => {
  process.stderr.write(`${m}\n`)
}

interface Built {
  spec: GenesisSpec
  blocks: Block[]
  gas: bigint[]
}

/** The workload's transactions in `n` consecutive blocks of about equal count, built on the bench genesis. */
async function buildChain(name: string, seed: number, n: number): Promise<Built> {
  const common = benchCommon()
  const workload = rowWorkload(name, seed)({ gas: 30_000_000n * BigInt(n), common })
  const spec = benchGenesis(workload.alloc)
  const dir = await mkdtemp(join(tmpdir(), 'parallax-nodepath-build-'))
  const kv = await LevelKV.open(dir)
  try {
    const { block: genesis } = await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
    const chain = await Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
    const headers = new Map<string, BlockHeader>([[bytesToHex(genesis.hash()), genesis.header]])
    const headerByHash = async (h: Uint8Array): Promise<BlockHeader | undefined> => headers.get(bytesToHex(h))
    const per = Math.ceil(workload.txs.length / n)
    const blocks: Block[] = []
    let parent = genesis.header
    for (let i = 0; i < n; i++) {
      const txs = workload.txs.slice(i * per, (i + 1) * per)
      const attributes = { timestamp: parent.timestamp + 12n, feeRecipient: workload.coinbase.bytes, prevRandao: new Uint8Array(32).fill(0x42), withdrawals: [], parentBeaconBlockRoot: new Uint8Array(32).fill(0x17) }
      const block = await assembleBlock(parent, attributes, txs, kv, common, headerByHash)
      const res = await chain.insertBlock(block, { setHead: true })
      if (res.status !== 'imported') throw new Error(`${name}: block ${i + 1} not imported: ${res.status} ${res.message ?? ''}`)
      headers.set(bytesToHex(block.hash()), block.header)
      blocks.push(block)
      parent = block.header
    }
    return { spec, blocks, gas: blocks.map((b) => b.header.gasUsed) }
  } finally {
    await kv.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The node's executor alone: the blocks inserted in order into an in-process Chain, each step's execute() timed. */
async function openExecutor(b: Built): Promise<{ step(block: Block): Promise<number>; close(): Promise<void> }> {
  const common = benchCommon()
  const dir = await mkdtemp(join(tmpdir(), 'parallax-nodepath-exec-'))
  const kv = await LevelKV.open(dir, { multithreading: true })
  const inner = createNodeExecutor({ parallel: true, workers: NODE_DEFAULTS.execWorkers, prestart: true }, dir, silent)
  let last = NaN
  const timed: Executor = {
    kind: inner.kind,
    async execute(req: ExecuteRequest): Promise<ExecutionOutcome> {
      const t = performance.now()
      try {
        return await inner.execute(req)
      } finally {
        last = performance.now() - t
      }
    },
  }
  const close = async (): Promise<void> => {
    await inner.close?.()
    await kv.close()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await initGenesis(kv, { common, writeState: (o) => writeGenesisState(b.spec, o), block: (r) => genesisBlock(b.spec, common, r), chainConfig: '{}' })
    const chain = await Chain.open({ kv, common, executor: timed, logger: silent })
    return {
      async step(block) {
        const res = await chain.insertBlock(block, { setHead: true })
        if (res.status !== 'imported') throw new Error(`executor run: ${res.status} ${res.message ?? ''}`)
        return last
      },
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

/** The node's own account of one import ('Imported new block': validate / execute / commit). */
interface NodePhases {
  elapsed: number
  validate: number
  execute: number
  commit: number
}

/** A real node process: each step is newPayloadV4 (timed, with the node's logged phases) then forkchoiceUpdatedV3 (not timed). */
async function startNode(b: Built): Promise<{ step(block: Block): Promise<{ ms: number; phases: NodePhases | undefined }>; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'parallax-nodepath-node-'))
  const genesisFile = join(dir, 'genesis.json')
  await writeFile(genesisFile, JSON.stringify(genesisToJson(b.spec)))
  const secret = randomBytes(32)
  const secretFile = join(dir, 'jwt.hex')
  await writeFile(secretFile, bytesToHex(secret))
  const data = join(dir, 'data')
  const init = spawnSync(process.execPath, [BIN, '--verbosity', '2', 'init', '--datadir', data, genesisFile], { encoding: 'utf8' })
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`)
  // As `parallax` starts (its shebang's V8 flag), not as a plain `node bin/parallax.js`.
  const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=64', BIN, '--log.format', 'json', 'node', '--datadir', data, '--authrpc.port', '0', '--authrpc.jwtsecret', secretFile, '--maxpeers', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const imported = new Map<number, NodePhases>()
  let rest = ''
  child.stderr!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.includes('Imported new block')) continue
      const r = JSON.parse(line) as { number: number; elapsed: string; validate?: string; execute?: string; commit?: string }
      const ms = (x: string | undefined) => Number.parseFloat(x ?? 'NaN')
      imported.set(r.number, { elapsed: ms(r.elapsed), validate: ms(r.validate), execute: ms(r.execute), commit: ms(r.commit) })
    }
  })
  const close = async (): Promise<void> => {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGINT')
    await exited
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let buf = ''
      const timer = setTimeout(() => reject(new Error(`node did not start: ${buf}`)), 60_000)
      child.stderr!.on('data', (d: Buffer) => {
        buf += d.toString()
        const line = buf.split('\n').find((l) => l.includes('Engine API started'))
        if (line === undefined) return
        clearTimeout(timer)
        resolve((JSON.parse(line) as { url: string }).url)
      })
      child.once('exit', (code) => reject(new Error(`node exited ${code}: ${buf}`)))
    })
    const rpc = new RpcClient(url, secret)
    return {
      async step(block) {
        const payload = encodeExecutionPayload(3, blockToPayload(block))
        const t = performance.now()
        const status = (await rpc.call('engine_newPayloadV4', [payload, [], bytesToHex(block.header.parentBeaconBlockRoot!), []])) as { status: string; validationError?: string }
        const ms = performance.now() - t
        if (status.status !== 'VALID') throw new Error(`newPayload ${block.header.number}: ${status.status} ${status.validationError ?? ''}`)
        const hash = bytesToHex(block.hash())
        await rpc.call('engine_forkchoiceUpdatedV3', [{ headBlockHash: hash, safeBlockHash: hash, finalizedBlockHash: bytesToHex(new Uint8Array(32)) }, null])
        // The node logs the import before it answers; stderr may come a moment after the answer.
        for (let i = 0; i < 50 && !imported.has(Number(block.header.number)); i++) await sleep(2)
        return { ms, phases: imported.get(Number(block.header.number)) }
      },
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      blocks: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '5' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      pause: { type: 'string', default: String(PAUSE_MS) },
    },
  })
  PAUSE_MS = Number(values.pause)
  const n = Number(values.blocks)
  const warmup = Number(values.warmup)
  if (!Number.isInteger(n) || !Number.isInteger(warmup) || warmup < 0 || n <= warmup) throw new Error('--blocks must exceed --warmup (integers)')
  const rows = selectRows(parseOnly(values.only ?? ['erc20/independent', 'mixed/hybrid-hot30']))
  const out: string[] = []
  out.push('workload               txs/block  gas/block  executor ms  newPayload ms  node/executor  node Mgas/s   node: validate  execute  commit  outside import')
  out.push('---------------------  ---------  ---------  -----------  -------------  -------------  -----------  ---------------  -------  ------  --------------')
  for (const name of rows) {
    log(`[${name}] building ${n} blocks...`)
    const b = await buildChain(name, Number(values.seed), n)
    // Interleaved, block by block: the executor alone, then the node on the same block, so both see
    // the same phase of a noisy machine (run one after the other, their medians moved by up to 30%
    // between runs). A pause between steps, as between slots: the previous step's leftovers (a
    // node's writes behind, its pool update) are not charged to the next.
    log(`[${name}] executor alone and node process, interleaved...`)
    const exec = await openExecutor(b)
    const node = await startNode(b).catch(async (err: unknown) => {
      await exec.close()
      throw err
    })
    const all: { ex: number; nd: number; ph: NodePhases | undefined }[] = []
    try {
      for (const block of b.blocks) {
        const ex = await exec.step(block)
        await sleep(PAUSE_MS)
        const r = await node.step(block)
        await sleep(PAUSE_MS)
        all.push({ ex, nd: r.ms, ph: r.phases })
      }
    } finally {
      await node.close()
      await exec.close()
    }
    const timed = all.slice(warmup)
    const ex = timed.map((x) => x.ex)
    const nd = timed.map((x) => x.nd)
    const ph = timed.map((x) => x.ph).filter((x): x is NodePhases => x !== undefined)
    const phase = (k: keyof NodePhases) => (ph.length > 0 ? median(ph.map((x) => x[k])).toFixed(0) : '-')
    // Outside the import: JSON and payload decoding, block hash and transactions-root checks, the HTTP round trip.
    const outside = ph.length > 0 ? median(timed.map((x) => x.nd - (x.ph?.elapsed ?? NaN)).filter(Number.isFinite)).toFixed(0) : '-'
    // Per block, node / executor on that block: the ratio's median is steadier than the ratio of medians.
    const ratio = median(timed.map((x) => x.nd / x.ex))
    const gas = median(b.gas.slice(warmup).map(Number))
    const txs = median(b.blocks.slice(warmup).map((x) => x.transactions.length))
    const e = median(ex)
    const p = median(nd)
    log(`[${name}] executor ${ex.map((x) => x.toFixed(0)).join(' ')} ms; newPayload ${nd.map((x) => x.toFixed(0)).join(' ')} ms; node/executor per block ${timed.map((x) => (x.nd / x.ex).toFixed(2)).join(' ')}`)
    out.push(
      `${name.padEnd(21)}  ${String(txs).padStart(9)}  ${`${(gas / 1e6).toFixed(1)}M`.padStart(9)}  ${e.toFixed(0).padStart(11)}  ${p.toFixed(0).padStart(13)}  ${`${ratio.toFixed(2)}x`.padStart(13)}  ${(gas / 1e6 / (p / 1000)).toFixed(1).padStart(11)}  ${phase('validate').padStart(15)}  ${phase('execute').padStart(7)}  ${phase('commit').padStart(6)}  ${outside.padStart(14)}`,
    )
  }
  process.stdout.write(`Node path (${new Date().toISOString()}): median of ${n - warmup} blocks after ${warmup} warm-up, executor and node interleaved block by block (${PAUSE_MS} ms apart), default --exec.workers; node/executor: median of the per-block ratios\n${out.join('\n')}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:node failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
