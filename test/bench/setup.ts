// Builds the benchmark blocks: a LevelDB store in a temp directory holding the workload's genesis,
// and one block on it holding every generated transaction. Built once per workload and gas target;
// every timed run re-decodes the block from RLP so no run inherits cached senders or hashes.
//
// Two ways to build. `buildOnParent` (src/exec/build.ts, ethereumjs' BlockBuilder) is quadratic in
// @ethereumjs 10.1.3: every addTransaction() calls createBlock() with all transactions so far, which
// re-constructs each of them (~0.16 ms apiece, mostly Common.updateParams): 1,428 transfers took
// 185 s to build here and ~900 ERC-20 transfers ran a 4 GB heap out of memory. The default,
// `runBlock`, assembles the header from the parent as BlockBuilder does and lets runBlock with
// `generate: true` fill in the execution fields (state, receipts and transactions roots, bloom, gas,
// requests hash, BAL hash): linear, and the same block (checked against buildOnParent for small
// blocks by test/bench/check-builders.ts).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Block, BlockHeader } from '@ethereumjs/block'
import { createBlock, createBlockFromRLP } from '@ethereumjs/block'
import { decodeBlock } from '../../src/chain/decode.ts'
import type { HeaderData } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { createVM, runBlock } from '@ethereumjs/vm'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import { genesisBlock, writeGenesisState } from '../../config/index.ts'
import { initGenesis } from '../../src/chain/genesis.ts'
import { LevelKV } from '../../src/db/level.ts'
import { AncestorHashes, type HeaderByHash } from '../../src/exec/ancestors.ts'
import { buildOnParent, type PayloadAttributes } from '../../src/exec/build.ts'
import { openBlockState } from '../../src/exec/state.ts'
import type { ExecuteRequest } from '../../src/exec/sequential.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { benchCommon, benchGenesis } from '../helpers/workloads/genesis.ts'
import type { Workload, WorkloadParams } from '../helpers/workloads/named.ts'

export type BlockBuilderKind = 'runBlock' | 'buildOnParent'

export interface BenchBlockOptions {
  /** Amsterdam (EIP-7928) at genesis: the block carries a block access list. */
  amsterdam?: boolean
  /** How to build the block (see the top of this file). Default 'runBlock'. */
  builder?: BlockBuilderKind
  /** Where the temp directory goes (default: the OS temp dir). */
  tmpRoot?: string
}

export interface BenchBlock {
  name: string
  description: string
  /** The LevelDB directory (opened with multithreading, so worker threads can open it too). */
  location: string
  kv: LevelKV
  common: Common
  parent: BlockHeader
  /** The block as built; runs execute fresh decodes of `rlp`. */
  block: Block
  rlp: Uint8Array
  txCount: number
  gasUsed: bigint
  /** EIP-7928 access list (RLP) for Amsterdam blocks, as the engine API would hand it over. */
  blockAccessList?: Uint8Array
  timings: { generateMs: number; genesisMs: number; buildMs: number }
  /** A fresh ExecuteRequest (new Block object decoded from RLP: no cached senders or hashes). */
  request(): ExecuteRequest
  close(): Promise<void>
}

export class BenchSetupError extends Error {
  override readonly name = 'BenchSetupError'
}

/**
 * Generates the workload, initialises its genesis in a fresh LevelDB, builds the block and checks
 * that every transaction made it in.
 */
export async function setupBenchBlock(
  generate: (p: WorkloadParams) => Workload,
  gas: bigint,
  opts: BenchBlockOptions = {},
): Promise<BenchBlock> {
  const chainOpts = { amsterdam: opts.amsterdam === true }
  const common = benchCommon(chainOpts)
  let t = performance.now()
  const workload = generate({ gas, common })
  const generateMs = performance.now() - t

  const spec = benchGenesis(workload.alloc, chainOpts)
  const location = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), 'parallax-bench-'))
  const kv = await LevelKV.open(location, { multithreading: true })
  try {
    t = performance.now()
    const { block: genesis } = await initGenesis(kv, {
      common,
      writeState: (o) => writeGenesisState(spec, o),
      block: (root) => genesisBlock(spec, common, root),
      chainConfig: JSON.stringify({ parallaxBench: workload.name }),
    })
    const genesisMs = performance.now() - t
    const parent = genesis.header
    const headers = new Map<string, BlockHeader>([[bytesToHex(parent.hash()), parent]])
    const headerByHash = async (h: Uint8Array): Promise<BlockHeader | undefined> => headers.get(bytesToHex(h))

    const attributes: PayloadAttributes = {
      timestamp: parent.timestamp + 12n,
      feeRecipient: workload.coinbase.bytes,
      prevRandao: new Uint8Array(32).fill(0x42),
      withdrawals: [],
      parentBeaconBlockRoot: new Uint8Array(32).fill(0x17),
    }
    t = performance.now()
    let block: Block
    if (opts.builder === 'buildOnParent') {
      const built = await buildOnParent({ parent, base: kv, headerByHash, common, attributes, txs: workload.txs })
      if (built.skipped.length > 0) {
        const first = built.skipped[0]!
        throw new BenchSetupError(`${workload.name}: ${built.skipped.length} transaction(s) not included; first: ${first.error}`)
      }
      // @ethereumjs 10.1.3's BlockBuilder disagrees with runBlock on Amsterdam: it bases receipts'
      // cumulativeGasUsed on the header's gasUsed (EIP-7778/8037: no refunds, max of the two gas
      // dimensions) where runBlock sums each receipt's gas after refunds, so its receiptsRoot is
      // wrong once a transaction gets a refund or pays state gas. Re-derive the header with runBlock.
      block = chainOpts.amsterdam ? await generateWithRunBlock(built.block, parent, kv, common, headerByHash) : built.block
    } else {
      block = await assembleBlock(parent, attributes, workload.txs, kv, common, headerByHash)
    }
    const buildMs = performance.now() - t
    if (block.transactions.length !== workload.txs.length) {
      throw new BenchSetupError(`${workload.name}: built block has ${block.transactions.length} of ${workload.txs.length} transactions`)
    }
    const rlp = block.serialize()
    const request = (bal?: Uint8Array): ExecuteRequest => ({
      // Decoded as the node decodes a block it imports (chain/decode.ts: the transactions share one
      // Common with the tx params merged once, and the bytes are remembered, exec/block-bytes.ts).
      // The library's own decoding gives every transaction its own merged params: tens of MB of
      // young objects that the first scavenges of the timed run would copy.
      block: decodeBlock(rlp, common),
      parent,
      base: kv,
      headerByHash,
      common,
      ...(bal !== undefined ? { blockAccessList: bal } : {}),
    })

    // The builder does not hand out the access list; the reference executor produces it, and its
    // hash must be the one in the built header.
    let blockAccessList: Uint8Array | undefined
    if (common.isActivatedEIP(7928) || chainOpts.amsterdam) {
      const reference = await new SequentialExecutor().execute(request())
      if (reference.blockAccessList === undefined || reference.blockAccessListHash === undefined) {
        throw new BenchSetupError(`${workload.name}: no block access list produced on an Amsterdam block`)
      }
      const headerHash = block.header.blockAccessListHash
      if (headerHash === undefined || !equalsBytes(headerHash, reference.blockAccessListHash)) {
        throw new BenchSetupError(`${workload.name}: built header's blockAccessListHash does not match the executed access list`)
      }
      blockAccessList = reference.blockAccessList
    }

    return {
      name: workload.name,
      description: workload.description,
      location,
      kv,
      common,
      parent,
      block,
      rlp,
      txCount: block.transactions.length,
      gasUsed: block.header.gasUsed,
      ...(blockAccessList !== undefined ? { blockAccessList } : {}),
      timings: { generateMs, genesisMs, buildMs },
      request: () => request(blockAccessList),
      close: async () => {
        await kv.close()
        await rm(location, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await kv.close()
    await rm(location, { recursive: true, force: true })
    throw err
  }
}

/**
 * A block on `parent` with `txs`: header fields from the parent and the attributes (as BlockBuilder
 * sets them), execution fields from runBlock. Throws if any transaction is invalid in order.
 */
export async function assembleBlock(
  parent: BlockHeader,
  a: PayloadAttributes,
  txs: TypedTransaction[],
  kv: LevelKV,
  common: Common,
  headerByHash: HeaderByHash,
): Promise<Block> {
  const c = common.copy()
  c.setHardforkBy({ blockNumber: parent.number + 1n, timestamp: a.timestamp })
  const header: HeaderData = {
    parentHash: parent.hash(),
    number: parent.number + 1n,
    timestamp: a.timestamp,
    coinbase: a.feeRecipient,
    mixHash: a.prevRandao,
    gasLimit: a.gasLimit ?? parent.gasLimit,
    ...(c.isActivatedEIP(1559) ? { baseFeePerGas: parent.calcNextBaseFee() } : {}),
    ...(c.isActivatedEIP(4844) ? { excessBlobGas: parent.calcNextExcessBlobGas(c), blobGasUsed: 0n } : {}),
    ...(a.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: a.parentBeaconBlockRoot } : {}),
    ...(c.isActivatedEIP(7843) ? { slotNumber: parent.slotNumber !== undefined ? parent.slotNumber + 1n : 0n } : {}),
  }
  const draft = createBlock({ header, transactions: txs, ...(a.withdrawals !== undefined ? { withdrawals: a.withdrawals } : {}) }, { common: c })
  return generateWithRunBlock(draft, parent, kv, common, headerByHash)
}

/** The block with stateRoot, receiptsRoot, logsBloom, gasUsed, requestsHash and BAL hash as runBlock computes them. */
async function generateWithRunBlock(
  block: Block,
  parent: BlockHeader,
  kv: LevelKV,
  common: Common,
  headerByHash: HeaderByHash,
): Promise<Block> {
  const { stateManager } = openBlockState(kv, parent.stateRoot)
  // ethereumjs' own flush, so the header's state root also checks both executors' batched flush.
  stateManager.batchedFlush = false
  const c = common.copy()
  c.setHardforkBy({ blockNumber: block.header.number, timestamp: block.header.timestamp })
  const vm = await createVM({ common: c, stateManager, blockchain: new AncestorHashes(parent, headerByHash) })
  const resealed: { block?: Block } = {}
  vm.events.on('afterBlock', (e: { block: Block }) => {
    resealed.block = e.block
  })
  await runBlock(vm, { block, root: parent.stateRoot, generate: true, skipBlockValidation: true, skipHeaderValidation: true, setHardfork: true })
  if (resealed.block === undefined) throw new BenchSetupError('runBlock(generate) did not report the block')
  return createBlockFromRLP(resealed.block.serialize(), { common, setHardfork: true })
}
