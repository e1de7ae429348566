// eth_simulateV1 (execution-apis; geth's internal/ethapi simulator, where the spec is silent): a chain
// of blocks simulated on one state after the base block, in the RPC call workers. Each block gets its
// number and timestamp (gaps filled with empty blocks, 12 s apart), a header derived from the one
// before it and the block overrides, its state overrides (precompiles may be moved), the EIP-4788 and
// EIP-2935 system calls, then every call as an unsigned transaction through runTx, then EIP-7685
// requests and the overrides' withdrawals; the block is sealed like a real one (state, receipts and
// transactions roots, bloom) so its hash is geth's. Without `validation` the base fee is 0 unless
// overridden and nonces are not checked; a call's failure to even start is an error of the whole
// request with the spec's code, a call that fails in the EVM is a failed call in the result.
import { createBlock, createBlockHeader, genRequestsRoot, genWithdrawalsTrieRoot, type Block, type BlockHeader, type HeaderData } from '@ethereumjs/block'
import { ConsensusType, type Common } from '@ethereumjs/common'
import { EVMError, type EVM } from '@ethereumjs/evm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { RLP } from '@ethereumjs/rlp'
import { getCalldataFloorGas } from '@ethereumjs/tx'
import {
  Account, Address, bytesToHex, bytesToUnprefixedHex, createWithdrawal, GWEI_TO_WEI, KECCAK256_RLP,
  KECCAK256_RLP_ARRAY, toChecksumAddress, type Withdrawal,
} from '@ethereumjs/util'
import { Bloom, createVM, encodeReceipt, runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import { sha256 } from '@noble/hashes/sha2.js'
import { isSyncReader, viaGetSync } from '../../db/interface.ts'
import { updateTrie } from '../../db/trie-batch.ts'
import { AncestorHashes } from '../../exec/ancestors.ts'
import { vmInternals } from '../../exec/block-runner.ts'
import { openBlockState } from '../../exec/state.ts'
import { RpcCode, RpcError } from '../errors.ts'
import { callDefaults, toMessage, type BlockOverrides, type StateOverride } from './call-args.ts'
import type { CallBackend } from './call-job.ts'
import { goDuration, RevertError, ServerError } from './errors.ts'
import { applyStateOverride, buildTx, eoaView, EvmTimeoutError, installDeadline, MessageError, preCheck } from './evm-call.ts'
import { formatHeader, formatLog, type Json, type JsonObject } from './format.ts'
import { toData, toQuantity } from './params.ts'
import type { SimBlock, SimulateJob } from './simulate-args.ts'
import { GasBudget, KIND_CODES, MAX_UINT64, planBlocks, SimCode, type PlannedBlock } from './simulate-plan.ts'
import { SimLogTracer, type SimLog } from './simulate-logs.ts'
import { formatSimTx, simTx, type SimTx } from './simulate-tx.ts'
import { vmErrorText } from './vm-errors.ts'


interface Sim {
  backend: CallBackend
  job: SimulateJob
  state: MerkleStateManager
  base: BlockHeader
  budget: GasBudget
  /** Sealed simulated headers by hash (BLOCKHASH of earlier simulated blocks). */
  sealed: Map<string, BlockHeader>
  /** The VM (and its log tracer) of each fork the simulated blocks are in. */
  vms: Map<string, { vm: VM; tracer: SimLogTracer }>
}

/**
 * The VM for a block of `common`'s fork: one per fork for the whole request (creating one costs more
 * than an empty block), its BLOCKHASH source moved to the block's ancestry.
 */
async function blockVm(sim: Sim, common: Common, parent: BlockHeader): Promise<{ vm: VM; tracer: SimLogTracer }> {
  const lookup = async (hash: Uint8Array): Promise<BlockHeader | undefined> => sim.sealed.get(bytesToHex(hash)) ?? (await sim.backend.headerByHash(hash))
  const ancestors = new AncestorHashes(parent, lookup)
  let entry = sim.vms.get(common.hardfork())
  if (entry === undefined) {
    const vm = await createVM({ common, stateManager: sim.state, blockchain: ancestors })
    installDeadline({ vm, deadline: sim.job.deadline })
    const tracer = new SimLogTracer(sim.job.opts.traceTransfers)
    tracer.attach(vm)
    entry = { vm, tracer }
    sim.vms.set(common.hardfork(), entry)
  }
  ;(entry.vm.evm as EVM).blockchain = ancestors
  return entry
}

/** Moves and removes precompiles as the state overrides say (geth's StateOverride.Apply), then applies them. */
async function applyOverrides(vm: VM, state: MerkleStateManager, overrides: StateOverride | undefined): Promise<void> {
  const active = new Map(vm.evm.precompiles)
  // Addresses stay warm as the fork's precompiles (geth warms by the rules); only execution moves.
  ;(vm.evm as { getPrecompile: (a: Address) => unknown }).getPrecompile = (a: Address) => active.get(bytesToUnprefixedHex(a.bytes))
  if (overrides === undefined) return
  const dirty = new Set<string>()
  const addrs = [...overrides.keys()].sort()
  for (const addr of addrs) {
    const o = overrides.get(addr)!
    const key = addr.slice(2)
    if (dirty.has(key)) throw new ServerError(`account ${toChecksumAddress(addr)} has already been overridden by a precompile`)
    const fn = active.get(key)
    const isPrecompile = active.has(key) && fn !== undefined
    if (o.movePrecompileTo !== undefined) {
      if (!isPrecompile) throw new ServerError(`account ${toChecksumAddress(addr)} is not a precompile`)
      const to = bytesToHex(o.movePrecompileTo)
      if (overrides.has(to)) throw new ServerError(`account ${toChecksumAddress(to)} is already overridden`)
      active.set(to.slice(2), fn)
      dirty.add(to.slice(2))
    }
    if (isPrecompile) active.delete(key)
  }
  await applyStateOverride(state, overrides)
}

function headerData(common: Common, p: PlannedBlock, prev: { coinbase: Address; difficulty: bigint; gasLimit: bigint }): HeaderData {
  const o = p.overrides
  const d: HeaderData = {
    number: p.number,
    timestamp: p.time,
    coinbase: o.feeRecipient !== undefined ? new Address(o.feeRecipient) : prev.coinbase,
    difficulty: o.difficulty ?? (common.gteHardfork('paris') ? 0n : prev.difficulty),
    gasLimit: o.gasLimit ?? prev.gasLimit,
    mixHash: o.prevRandao ?? ZERO32,
    gasUsed: 0n,
    extraData: new Uint8Array(),
  }
  if (common.isActivatedEIP(4895)) d.withdrawalsRoot = KECCAK256_RLP
  if (common.isActivatedEIP(4788)) d.parentBeaconBlockRoot = o.beaconRoot ?? ZERO32
  if (common.isActivatedEIP(7685)) d.requestsHash = sha256(new Uint8Array())
  return d
}

const ZERO32 = new Uint8Array(32)

const trieRoot = async (values: Uint8Array[]): Promise<Uint8Array> =>
  values.length === 0 ? KECCAK256_RLP : (await updateTrie(async () => undefined, KECCAK256_RLP, values.map((value, i) => ({ key: RLP.encode(i), value })))).root

interface CallOutcome {
  tx: SimTx
  result: RunTxResult
  json: JsonObject
  logs: SimLog[]
}

function txError(err: MessageError, gas: bigint): RpcError {
  return new RpcError(KIND_CODES[err.kind], `err: ${err.message} (supplied gas ${gas})`)
}

async function runCall(sim: Sim, vm: VM, common: Common, block: Block, args: SimBlock['calls'][number], gasPool: { used: bigint }, blobBaseFee: bigint | undefined): Promise<{ tx: SimTx; result: RunTxResult; json: JsonObject }> {
  const { state, job } = sim
  const header = block.header
  const from = new Address(args.from ?? new Uint8Array(20))
  args.nonce ??= (await state.getAccount(from))?.nonce ?? 0n
  const remaining = header.gasLimit - gasPool.used
  args.gas ??= remaining
  if (remaining < args.gas) throw new RpcError(SimCode.BlockGasLimitReached, `block gas limit reached: remaining: ${remaining}, required: ${args.gas}`)
  const capped = args.gas > sim.budget.remaining
  if (capped) args.gas = sim.budget.remaining
  const chainId = common.chainId()
  callDefaults(args, 0n, header.baseFeePerGas, chainId)
  const tx = simTx(args, chainId)
  const msg = toMessage(args, header.baseFeePerGas)
  const baseFee = header.baseFeePerGas ?? 0n
  try {
    await preCheck({ common, state, header }, msg, baseFee, { noBaseFee: !job.opts.validation, nonce: job.opts.validation, ...(blobBaseFee !== undefined ? { blobBaseFee } : {}) })
  } catch (err) {
    if (err instanceof MessageError) throw txError(err, msg.gasLimit)
    throw err
  }
  // A zero-priced call under a base fee (no validation) runs at base fee 0, as geth's NoBaseFee does.
  const zeroPriced = !job.opts.validation && msg.gasFeeCap === 0n && msg.gasTipCap === 0n && baseFee > 0n
  const execBlock = zeroPriced ? withBaseFee(block, 0n) : block
  const ejsTx = buildTx({ common }, msg, execBlock)
  const intrinsic = ejsTx.getIntrinsicGas()
  if (msg.gasLimit < intrinsic) throw txError(new MessageError(`intrinsic gas too low: have ${msg.gasLimit}, want ${intrinsic}`, 'intrinsicGas'), msg.gasLimit)
  const floor = common.isActivatedEIP(7623) ? getCalldataFloorGas(ejsTx, msg.from) : 0n
  if (msg.gasLimit < floor) throw txError(new MessageError(`insufficient gas for floor data gas cost: have ${msg.gasLimit}, want ${floor}`), msg.gasLimit)
  const restore = await eoaView(state, msg.from)
  let result: RunTxResult
  try {
    result = await runTx(vm, { tx: ejsTx, block: execBlock, blockGasUsed: gasPool.used, skipNonce: true, skipBalance: true, skipBlockGasLimitValidation: true, skipHardForkValidation: true })
  } finally {
    restore()
  }
  // geth's nonce is a uint64 that wraps; ethereumjs' would grow past it.
  const acc = await state.getAccount(from)
  if (acc !== undefined && acc.nonce > MAX_UINT64) {
    acc.nonce -= MAX_UINT64 + 1n
    await state.putAccount(from, acc)
  }
  gasPool.used += result.totalGasSpent
  sim.budget.consume(result.totalGasSpent)
  const ex = result.execResult
  const before = ex.executionGasUsed + intrinsic
  const json: JsonObject = {
    // geth's ExecutionResult.Return(): nothing for a failed call (the revert data goes in its error).
    returnData: toData(ex.exceptionError === undefined ? ex.returnValue : new Uint8Array()),
    logs: [],
    gasUsed: toQuantity(result.totalGasSpent),
    maxUsedGas: toQuantity(before > floor ? before : floor),
    status: ex.exceptionError === undefined ? '0x1' : '0x0',
  }
  const err = ex.exceptionError
  if (err !== undefined) {
    if (err.error === EVMError.errorMessages.REVERT) {
      const r = new RevertError(ex.returnValue)
      json['error'] = { message: r.message, code: r.rpcCode, data: r.data as string }
    } else {
      const text = vmErrorText(err.error, msg) + (capped ? " (gas limit was capped by the RPC server's global gas cap)" : '')
      json['error'] = { message: text, code: SimCode.VmError }
    }
  }
  return { tx, result, json }
}

function withBaseFee(block: Block, baseFee: bigint): Block {
  const b = createBlock({ header: { ...block.header.toJSON(), baseFeePerGas: baseFee } }, { common: block.common, freeze: false, skipConsensusFormatValidation: true })
  patchBlobPrice(b, block)
  return b
}

function patchBlobPrice(b: Block, from: Block): void {
  const price = from.header.getBlobGasPrice.bind(from.header)
  if (from.header.excessBlobGas !== undefined) Object.defineProperty(b.header, 'getBlobGasPrice', { value: price, configurable: true })
}

async function processBlock(sim: Sim, p: PlannedBlock, common: Common, data: HeaderData, parent: BlockHeader): Promise<{ header: BlockHeader; json: JsonObject }> {
  const { backend, job, state } = sim
  data.parentHash = parent.hash()
  if (common.isActivatedEIP(1559)) data.baseFeePerGas = p.overrides.baseFeePerGas ?? (job.opts.validation ? parent.calcNextBaseFee() : 0n)
  if (common.isActivatedEIP(4844)) {
    data.excessBlobGas = parent.excessBlobGas !== undefined ? parent.calcNextExcessBlobGas(common) : 0n
    data.blobGasUsed = 0n
  }
  const block = createBlock({ header: data }, { common, freeze: false, skipConsensusFormatValidation: true })
  const blobBaseFee = p.overrides.blobBaseFee
  if (blobBaseFee !== undefined && common.isActivatedEIP(4844)) Object.defineProperty(block.header, 'getBlobGasPrice', { value: () => blobBaseFee, configurable: true })
  const { vm, tracer } = await blockVm(sim, common, parent)
  await applyOverrides(vm, state, p.stateOverrides)
  const lib = await vmInternals()
  if (common.isActivatedEIP(4788)) await lib.accumulateParentBeaconBlockRoot(vm, data.parentBeaconBlockRoot as Uint8Array, p.time)
  if (common.isActivatedEIP(2935)) await lib.accumulateParentBlockHash(vm, p.number, parent.hash())

  const gasPool = { used: 0n }
  const outcomes: CallOutcome[] = []
  const bloom = new Bloom(undefined, common)
  let blobGasUsed = 0n
  tracer.newBlock()
  tracer.listen(true)
  try {
    for (const args of p.calls) {
      if (Date.now() > job.deadline) throw new EvmTimeoutError('execution aborted')
      tracer.reset()
      const { tx, result, json } = await runCall(sim, vm, common, block, { ...args }, gasPool, blobBaseFee)
      outcomes.push({ tx, result, json, logs: tracer.logs() })
      bloom.or(result.bloom)
      blobGasUsed += result.blobGasUsed ?? 0n
    }
  } finally {
    tracer.listen(false)
  }
  let requestsHash: Uint8Array | undefined
  if (common.isActivatedEIP(7685)) {
    const requests = await lib.accumulateRequests(vm, outcomes.map((o) => o.result), data.gasLimit as bigint, false)
    requestsHash = genRequestsRoot(requests, common.customCrypto.sha256 ?? sha256)
  }
  // Before the merge the consensus engine pays the miner (ethash's Finalize; no uncles here).
  if (common.consensusType() === ConsensusType.ProofOfWork) await lib.rewardAccount(vm.evm as EVM, block.header.coinbase, common.param('minerReward'), common)
  let withdrawals: Withdrawal[] | undefined
  if (common.isActivatedEIP(4895)) {
    withdrawals = (p.overrides.withdrawals ?? []).map((w) => createWithdrawal({ index: w.index, validatorIndex: w.validatorIndex, address: w.address, amount: w.amount }))
    for (const w of withdrawals) {
      if (w.amount === 0n) continue
      const acc = (await state.getAccount(w.address)) ?? new Account()
      acc.balance += w.amount * GWEI_TO_WEI
      await state.putAccount(w.address, acc)
    }
  }
  const receipts = outcomes.map((o) => encodeReceipt(o.result.receipt, o.tx.type))
  const sealedData: HeaderData = {
    ...data,
    stateRoot: await state.getStateRoot(),
    transactionsTrie: await trieRoot(outcomes.map((o) => o.tx.encoded)),
    receiptTrie: await trieRoot(receipts),
    logsBloom: bloom.bitvector,
    gasUsed: gasPool.used,
    uncleHash: KECCAK256_RLP_ARRAY,
  }
  if (common.isActivatedEIP(4844)) sealedData.blobGasUsed = blobGasUsed
  if (requestsHash !== undefined) sealedData.requestsHash = requestsHash
  if (withdrawals !== undefined) sealedData.withdrawalsRoot = await genWithdrawalsTrieRoot(withdrawals)
  const header = createBlockHeader(sealedData, { common, skipConsensusFormatValidation: true })
  sim.sealed.set(bytesToHex(header.hash()), header)
  return { header, json: blockJson(header, outcomes, withdrawals, job.opts.returnFullTransactions) }
}

function blockJson(header: BlockHeader, outcomes: CallOutcome[], withdrawals: Withdrawal[] | undefined, fullTx: boolean): JsonObject {
  const hash = header.hash()
  const body: unknown[] = [header.raw(), outcomes.map((o) => (o.tx.type === 0 ? RLP.decode(o.tx.encoded) : o.tx.encoded)), []]
  if (withdrawals !== undefined) body.push(withdrawals.map((w) => w.raw()))
  const o = formatHeader(header)
  o['size'] = toQuantity(RLP.encode(body as never).length)
  o['transactions'] = outcomes.map((c, index) =>
    fullTx
      ? formatSimTx(c.tx, { blockHash: hash, blockNumber: header.number, blockTimestamp: header.timestamp, index, ...(header.baseFeePerGas !== undefined ? { baseFee: header.baseFeePerGas } : {}) })
      : toData(c.tx.hash),
  )
  o['uncles'] = []
  if (withdrawals !== undefined) {
    o['withdrawals'] = withdrawals.map((w) => ({ index: toQuantity(w.index), validatorIndex: toQuantity(w.validatorIndex), address: w.address.toString(), amount: toQuantity(w.amount) }))
  }
  const loc = { blockHash: hash, blockNumber: header.number, blockTimestamp: header.timestamp }
  o['calls'] = outcomes.map((c, txIndex) => ({
    ...c.json,
    logs: c.logs.map((l) => formatLog(l.log, { ...loc, txHash: c.tx.hash, txIndex, logIndex: l.index })),
  }))
  return o
}

/** Runs an eth_simulateV1 job over `backend`; throws the RpcError the method answers with (past the deadline, anywhere: geth's -32603 timeout). */
export async function runSimulateJob(backend: CallBackend, job: SimulateJob): Promise<Json> {
  try {
    return await simulate(backend, job)
  } catch (err) {
    if (err instanceof EvmTimeoutError) throw new RpcError(RpcCode.Internal, `execution aborted (timeout = ${goDuration(job.timeoutMs)})`)
    throw err
  }
}

async function simulate(backend: CallBackend, job: SimulateJob): Promise<Json> {
  const base = await backend.headerByHash(job.headerHash)
  if (base === undefined) throw new ServerError('header not found')
  // Execution's state layer (caches flushed into the tries once per block, batched trie updates):
  // a simulation seals every block, so it pays a state root per block like an import does. Reads
  // are synchronous where the store has them (the call workers' reads already are).
  await backend.stateAt(base) // geth's error when the base state is missing
  const state = openBlockState(isSyncReader(backend.kv) ? viaGetSync(backend.kv) : backend.kv, base.stateRoot).stateManager
  const sim: Sim = { backend, job, state, base, budget: new GasBudget(job.gasCap), sealed: new Map(), vms: new Map() }
  const planned = planBlocks(base, job.opts.blockStateCalls)
  const results: JsonObject[] = []
  let parent = base
  let prev = { coinbase: base.coinbase, difficulty: base.difficulty, gasLimit: base.gasLimit }
  const commons = new Map<string, Common>()
  for (const p of planned) {
    const hf = backend.common.getHardforkBy({ blockNumber: p.number, timestamp: p.time })
    let common = commons.get(hf)
    if (common === undefined) {
      common = backend.common.copy()
      common.setHardfork(hf)
      commons.set(hf, common)
    }
    const d = headerData(common, p, prev)
    prev = { coinbase: d.coinbase as Address, difficulty: d.difficulty as bigint, gasLimit: d.gasLimit as bigint }
    const { header, json } = await processBlock(sim, p, common, d, parent)
    results.push(json)
    parent = header
  }
  return results
}
