// Runs a MixChain (test/helpers/workloads/random-mix.ts) as a real chain on one LevelDB store. Blocks
// come sealed from a producer with its own state (test/helpers/mix-chain-producer.ts); each is
// decoded and inserted with Chain.insertBlock, which executes it through the given executor (a
// Differential in the tests), validates the outcome against the producer's header and commits it:
// trie nodes, block, receipts, state diff, the flat tables moved to the new head and the flat-root
// pointer with them. So every block executes on state the previous blocks committed, and speculation
// workers read the flat tables (they describe the parent). A sample of blocks comes with its draft,
// which the executor seals first (generate mode, as the node builds payloads): the sealed block must
// be the producer's. At the end the flat tables must hold exactly the head's state trie.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBlockFromRLP } from '@ethereumjs/block'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import pino from 'pino'
import { Chain } from '../../src/chain/chain.ts'
import { decodeBlock } from '../../src/chain/decode.ts'
import { flatOpsFromTrie } from '../../src/db/flat-state.ts'
import type { BatchOp } from '../../src/db/interface.ts'
import { metaKey, MetaKey, Prefix } from '../../src/db/keys.ts'
import { LevelKV } from '../../src/db/level.ts'
import { Overlay } from '../../src/db/overlay.ts'
import type { Executor } from '../../src/exec/sequential.ts'
import { openTrie } from '../../src/exec/state.ts'
import { Rng } from './workloads/keys.ts'
import { MIX_KINDS, MixChain, type MixKind } from './workloads/random-mix.ts'
import { startProducer, writeMixGenesis } from './mix-chain-producer.ts'

export interface MixChainRun {
  seed: number
  blocks: number
  txs: number
  /** Blocks whose draft was also sealed by the executor under test (generate mode) and came out the same. */
  sealed: number
  /** Transactions per kind, over the blocks that were inserted. */
  kinds: Map<MixKind, number>
  /** Why the run stopped early (a block the producer or the chain refused, a broken flat state), if it did. */
  stopped?: string
}

export interface MixChainOptions {
  seed: number
  blocks: number
  /** Executes every block (a Differential); the chain commits what it returns. It also seals the drafts. */
  executor: Executor
  /** Called with the store's directory before the first block (retarget the parallel executors here). */
  onStore?: (location: string) => Promise<void>
  /** Called before each block is inserted, with a seeded Rng of the runner's own (pick lanes here). */
  beforeBlock?: (rng: Rng, number: bigint) => void
  /** Produce blocks in a worker thread (default true). */
  thread?: boolean
}

const silent = pino({ level: 'silent' })

/**
 * The store, with reads through LevelDB's synchronous get: SequentialExecutor reads every trie node
 * with an async get (a thread-pool round trip each), which made it 2x slower than it needs to be here;
 * ParallelExecutor already reads with getSync. Writes, iteration and getSync are the store's own.
 */
function syncReads(kv: LevelKV): LevelKV {
  const fast = Object.create(kv) as LevelKV
  fast.get = async (k) => kv.getSync(k)
  return fast
}

export async function runMixChain(opts: MixChainOptions): Promise<MixChainRun> {
  const source = startProducer(opts.seed, { thread: opts.thread ?? true })
  const mix = new MixChain(opts.seed)
  const rng = new Rng(opts.seed, 'mix-chain-runner')
  const location = await mkdtemp(join(tmpdir(), 'parallax-mix-chain-'))
  const store = await LevelKV.open(location, { multithreading: true })
  const kv = syncReads(store)
  const run: MixChainRun = { seed: opts.seed, blocks: 0, txs: 0, sealed: 0, kinds: new Map(MIX_KINDS.map((k) => [k, 0])) }
  try {
    await writeMixGenesis(kv, mix)
    await opts.onStore?.(location)
    const chain = await Chain.open({ kv, common: mix.common, executor: opts.executor, logger: silent })
    for (let b = 0; b < opts.blocks && run.stopped === undefined; b++) {
      let p
      try {
        p = await source.next()
      } catch (err) {
        run.stopped = `producer, block ${chain.head.number + 1n}: ${err instanceof Error ? err.message : String(err)}`
        break
      }
      const block = decodeBlock(p.rlp, mix.common)
      opts.beforeBlock?.(rng, block.header.number)
      if (p.draft !== undefined) {
        // Seal the draft here too, as the node seals a payload: through the executor, in generate mode.
        const draft = createBlockFromRLP(p.draft, { common: mix.common, setHardfork: true })
        const headerByHash = (h: Uint8Array) => chain.store.getHeader(h)
        const sealed = await opts.executor
          .execute({ block: draft, parent: chain.head, base: kv, headerByHash, common: mix.common, generate: true })
          .then((o) => o.sealed?.hash(), (err: unknown) => err)
        if (!(sealed instanceof Uint8Array) || !equalsBytes(sealed, block.hash())) {
          run.stopped = `block ${block.header.number}: sealing the draft here gave ${sealed instanceof Uint8Array ? bytesToHex(sealed) : String(sealed)}, the producer ${bytesToHex(block.hash())}`
          break
        }
        run.sealed++
      }
      const res = await chain.insertBlock(block, { setHead: true })
      const flatRoot = await kv.get(metaKey(MetaKey.FlatRoot))
      if (res.status !== 'imported') run.stopped = `block ${block.header.number}: ${res.status} ${res.reason ?? ''} ${res.message ?? ''}`
      else if (flatRoot === undefined || !equalsBytes(flatRoot, res.hash)) run.stopped = `block ${block.header.number}: the flat-root pointer is not the new head`
      else {
        run.blocks++
        run.txs += p.kinds.length
        for (const k of p.kinds) run.kinds.set(k, (run.kinds.get(k) ?? 0) + 1)
      }
    }
    const flat = await flatMismatch(kv, chain.head.stateRoot)
    if (flat !== undefined) run.stopped ??= `after block ${chain.head.number}: ${flat}`
    return run
  } finally {
    await source.close()
    await store.close()
    await rm(location, { recursive: true, force: true })
  }
}

/** Do the flat tables hold exactly the state under `stateRoot`? (A description of the first difference.) */
async function flatMismatch(kv: LevelKV, stateRoot: Uint8Array): Promise<string | undefined> {
  const overlay = new Overlay(kv)
  const want = new Map<string, string>()
  const ops: BatchOp[] = []
  await flatOpsFromTrie((root) => openTrie(overlay, root), stateRoot, ops)
  for (const op of ops) if (op.type === 'put') want.set(bytesToHex(op.key), bytesToHex(op.value))
  let seen = 0
  for (const prefix of [Prefix.FlatAccount, Prefix.FlatStorage]) {
    for await (const k of kv.keys({ gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) })) {
      const v = kv.getSync(k)
      const hex = bytesToHex(k)
      if (want.get(hex) !== (v === undefined ? undefined : bytesToHex(v))) return `flat entry ${hex} differs from the state trie`
      seen++
    }
  }
  if (seen !== want.size) return `flat tables hold ${seen} entries, the state trie ${want.size}`
  return undefined
}
