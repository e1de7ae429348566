// Runs a call message (eth_call, eth_estimateGas, eth_createAccessList) on the state after a block,
// like geth's core.ApplyMessage with NoBaseFee and nonce/EOA checks skipped: geth's pre-checks and
// their messages first, then ethereumjs' runTx on an unsigned transaction whose sender is the
// message's `from`. Each run is wrapped in a state checkpoint and reverted, so runs can repeat.
import { createBlock, type Block, type BlockHeader, type HeaderData } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { EVMError, type InterpreterStep } from '@ethereumjs/evm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import {
  createAccessList2930Tx, createBlob4844Tx, createEOACode7702Tx, createFeeMarket1559Tx, createLegacyTx, getCalldataFloorGas,
  type TypedTransaction,
} from '@ethereumjs/tx'
import {
  Account, Address, bigIntToUnpaddedBytes, equalsBytes, hexToBytes, KECCAK256_NULL, toChecksumAddress,
} from '@ethereumjs/util'
import { createVM, runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import { AncestorHashes, type HeaderByHash } from '../../exec/ancestors.ts'
import { InvalidParamsError } from '../errors.ts'
import type { BlockOverrides, CallMessage, StateOverride } from './call-args.ts'
import { invalidOpcodeText, vmErrorText } from './vm-errors.ts'

const MAX_TX_GAS = 1n << 24n // EIP-7825
/** The highest nonce ethereumjs builds a transaction with (geth skips nonce checks in calls, so any nonce runs). */
const MAX_TX_NONCE = (1n << 64n) - 2n
const MAX_INITCODE_SIZE = 49152n
const MAX_UINT64 = (1n << 64n) - 1n
const BLOB_TX_MAX_BLOBS = 6
const DELEGATION_PREFIX = Uint8Array.of(0xef, 0x01, 0x00)

/** Which of geth's pre-check errors a MessageError is (eth_simulateV1 maps them to its codes). */
export type MessageErrorKind =
  | 'nonceTooHigh' | 'nonceTooLow' | 'nonceMax' | 'tipAboveFeeCap' | 'feeCapTooLow' | 'insufficientFunds' | 'intrinsicGas'
  | 'initCodeSize' | 'other'

/** A message rejected before execution (geth's state-transition pre-checks). */
export class MessageError extends Error {
  /** geth's ErrIntrinsicGas: eth_estimateGas raises the limit instead of failing. */
  readonly intrinsic: boolean
  readonly kind: MessageErrorKind
  constructor(message: string, kind: MessageErrorKind = 'other') {
    super(message)
    this.kind = kind
    this.intrinsic = kind === 'intrinsicGas'
  }
}

/** How strictly preCheck judges a message: eth_call's NoBaseFee leniency, or a simulation's validation. */
export interface CheckMode {
  /** geth's NoBaseFee: zero fee caps skip the base fee and blob fee checks. */
  noBaseFee: boolean
  /** Check the nonce against the state (eth_simulateV1 with validation). */
  nonce: boolean
  /** The blob base fee the block context uses (a simulation's override), else the header's. */
  blobBaseFee?: bigint
}

export interface ExecutionResult {
  failed: boolean
  reverted: boolean
  /** Failed for lack of gas (geth's ErrOutOfGas): eth_estimateGas then reports the allowance. */
  outOfGas: boolean
  returnValue: Uint8Array
  /** geth's text for a failure other than a revert. */
  vmError?: string
  /** Gas used after refunds (geth's UsedGas). */
  usedGas: bigint
  /** Gas used before refunds (geth's MaxUsedGas). */
  maxUsedGas: bigint
  accessList?: { address: string; storageKeys: string[] }[]
}

export interface CallContext {
  header: BlockHeader
  common: Common
  state: MerkleStateManager
  vm: VM
  /** Aborts the EVM (with EvmTimeoutError) once Date.now() passes this; Infinity = never. */
  deadline: number
}

/** A call aborted at its deadline (geth's --rpc.evmtimeout). */
export class EvmTimeoutError extends Error {}

/**
 * ethereumjs cannot interrupt a running EVM and its interpreter loop never yields to timers, but it
 * asks its Common `isActivatedEIP` on every step: that is where the deadline is checked (every 1024
 * asks, so the cost is a counter).
 */
export function installDeadline(cc: Pick<CallContext, 'vm' | 'deadline'>): void {
  const common = cc.vm.evm.common
  const ask = common.isActivatedEIP.bind(common)
  let n = 0
  common.isActivatedEIP = (eip: number): boolean => {
    if ((++n & 1023) === 0 && Date.now() > cc.deadline) throw new EvmTimeoutError('execution aborted')
    return ask(eip)
  }
}

/**
 * The header a call executes in: the block's own, with geth's block overrides applied. Its gasUsed
 * is 0 (no EVM opcode reads it, and a lower gasLimit override must not make the header invalid).
 */
function callHeaderData(h: BlockHeader, o: BlockOverrides | undefined): HeaderData {
  const d: HeaderData = {
    parentHash: h.parentHash, uncleHash: h.uncleHash, coinbase: h.coinbase, stateRoot: h.stateRoot,
    transactionsTrie: h.transactionsTrie, receiptTrie: h.receiptTrie, logsBloom: h.logsBloom, difficulty: h.difficulty,
    number: h.number, gasLimit: h.gasLimit, gasUsed: 0n, timestamp: h.timestamp, extraData: h.extraData,
    mixHash: h.mixHash, nonce: h.nonce,
  }
  if (h.baseFeePerGas !== undefined) d.baseFeePerGas = h.baseFeePerGas
  if (h.withdrawalsRoot !== undefined) d.withdrawalsRoot = h.withdrawalsRoot
  if (h.blobGasUsed !== undefined) d.blobGasUsed = h.blobGasUsed
  if (h.excessBlobGas !== undefined) d.excessBlobGas = h.excessBlobGas
  if (h.parentBeaconBlockRoot !== undefined) d.parentBeaconBlockRoot = h.parentBeaconBlockRoot
  if (h.requestsHash !== undefined) d.requestsHash = h.requestsHash
  if (o !== undefined) {
    if (o.number !== undefined) d.number = o.number
    if (o.difficulty !== undefined) d.difficulty = o.difficulty
    if (o.time !== undefined) d.timestamp = o.time
    if (o.gasLimit !== undefined) d.gasLimit = o.gasLimit
    if (o.feeRecipient !== undefined) d.coinbase = new Address(o.feeRecipient)
    if (o.prevRandao !== undefined) d.mixHash = o.prevRandao
    if (o.baseFeePerGas !== undefined) d.baseFeePerGas = o.baseFeePerGas
  }
  return d
}

function makeBlock(common: Common, data: HeaderData): Block {
  return createBlock({ header: data }, { common, skipConsensusFormatValidation: true })
}

/** Writes geth's state overrides into `state` (before any run). */
export async function applyStateOverride(state: MerkleStateManager, overrides: StateOverride): Promise<void> {
  for (const [addr, o] of overrides) {
    const address = new Address(hexToBytes(addr as `0x${string}`))
    const existing = await state.getAccount(address)
    // Only the fields given change (a precompile move alone touches nothing); storage needs an account.
    if (o.nonce !== undefined || o.balance !== undefined || (existing === undefined && (o.state !== undefined || o.stateDiff !== undefined))) {
      const account = existing ?? new Account()
      if (o.nonce !== undefined) account.nonce = o.nonce
      if (o.balance !== undefined) account.balance = o.balance
      await state.putAccount(address, account)
    }
    if (o.code !== undefined) await state.putCode(address, o.code)
    if (o.state !== undefined) {
      await state.clearStorage(address)
      for (const [slot, value] of o.state) await state.putStorage(address, hexToBytes(slot as `0x${string}`), stripZeros(value))
    }
    if (o.stateDiff !== undefined) {
      for (const [slot, value] of o.stateDiff) await state.putStorage(address, hexToBytes(slot as `0x${string}`), stripZeros(value))
    }
  }
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0
  while (i < b.length && b[i] === 0) i++
  return b.subarray(i)
}

/** Sets up the EVM for calls at `header` (with overrides) over `state`; `headerByHash` serves BLOCKHASH. */
export async function prepareCall(
  chainCommon: Common,
  headerByHash: HeaderByHash,
  header: BlockHeader,
  state: MerkleStateManager,
  stateOverride?: StateOverride,
  blockOverrides?: BlockOverrides,
): Promise<CallContext> {
  const data = callHeaderData(header, blockOverrides)
  const common = chainCommon.copy()
  common.setHardforkBy({ blockNumber: BigInt(data.number as bigint), timestamp: BigInt(data.timestamp as bigint) })
  let callHeader: BlockHeader
  try {
    callHeader = makeBlock(common, data).header
  } catch (err) {
    // The block's own header is valid, so only the overrides can have made this one invalid.
    throw new InvalidParamsError(`invalid block overrides: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (stateOverride !== undefined) await applyStateOverride(state, stateOverride)
  const vm = await createVM({ common, stateManager: state, blockchain: new AncestorHashes(header, headerByHash) })
  const cc: CallContext = { header: callHeader, common, state, vm, deadline: Infinity }
  installDeadline(cc)
  return cc
}

const checksum = (a: Address): string => toChecksumAddress(a.toString())

const CALL_MODE: CheckMode = { noBaseFee: true, nonce: false }

/** geth's preCheck (without the intrinsic/floor checks); throws MessageError with geth's message. */
export async function preCheck(cc: Pick<CallContext, 'common' | 'state' | 'header'>, msg: CallMessage, blockBaseFee: bigint, mode: CheckMode = CALL_MODE): Promise<void> {
  const { common, state } = cc
  const from = checksum(msg.from)
  if (mode.nonce) {
    const have = (await state.getAccount(msg.from))?.nonce ?? 0n
    if (have < msg.nonce) throw new MessageError(`nonce too high: address ${from}, tx: ${msg.nonce} state: ${have}`, 'nonceTooHigh')
    if (have > msg.nonce) throw new MessageError(`nonce too low: address ${from}, tx: ${msg.nonce} state: ${have}`, 'nonceTooLow')
    if (have === MAX_UINT64) throw new MessageError(`nonce has max value: address ${from}, nonce: ${have}`, 'nonceMax')
  }
  if (common.isActivatedEIP(1559) && !(mode.noBaseFee && msg.gasFeeCap === 0n && msg.gasTipCap === 0n)) {
    if (msg.gasFeeCap < msg.gasTipCap) {
      throw new MessageError(`max priority fee per gas higher than max fee per gas: address ${from}, maxPriorityFeePerGas: ${msg.gasTipCap}, maxFeePerGas: ${msg.gasFeeCap}`, 'tipAboveFeeCap')
    }
    if (msg.gasFeeCap < blockBaseFee) {
      throw new MessageError(`max fee per gas less than block base fee: address ${from}, maxFeePerGas: ${msg.gasFeeCap}, baseFee: ${blockBaseFee}`, 'feeCapTooLow')
    }
  }
  const blobGas = BigInt(msg.blobHashes?.length ?? 0) * 131072n
  if (msg.blobHashes !== undefined) {
    if (msg.to === undefined) throw new MessageError('blob transaction of type create')
    if (msg.blobHashes.length === 0) throw new MessageError('blob transaction missing blob hashes')
    if (common.gteHardfork('osaka') && msg.blobHashes.length > BLOB_TX_MAX_BLOBS) throw new MessageError('blob transaction has too many blobs')
    // More than a block holds (ethereumjs refuses to build such a transaction); geth's wording.
    const maxBlobs = common.isActivatedEIP(4844) ? common.param('maxBlobGasPerBlock') / common.param('blobGasPerBlob') : undefined
    if (maxBlobs !== undefined && BigInt(msg.blobHashes.length) > maxBlobs) {
      throw new MessageError(`too many blobs in transaction (have=${msg.blobHashes.length}, max=${maxBlobs})`)
    }
    msg.blobHashes.forEach((h, i) => {
      if (h[0] !== 0x01) throw new MessageError(`blob ${i} has invalid hash version`)
    })
  }
  if (common.isActivatedEIP(4844) && blobGas > 0n && !(mode.noBaseFee && (msg.blobFeeCap ?? 0n) === 0n)) {
    const blobBaseFee = mode.blobBaseFee ?? cc.header.getBlobGasPrice()
    if (msg.blobFeeCap! < blobBaseFee) {
      throw new MessageError(`max fee per blob gas less than block blob gas fee: address ${from} blobGasFeeCap: ${msg.blobFeeCap}, blobBaseFee: ${blobBaseFee}`)
    }
  }
  if (msg.authorizations !== undefined) {
    if (msg.to === undefined) throw new MessageError(`EIP-7702 transaction cannot be used to create contract (sender ${from})`)
    if (msg.authorizations.length === 0) throw new MessageError(`EIP-7702 transaction with empty auth list (sender ${from})`)
  }
  if (msg.to === undefined && common.isActivatedEIP(3860) && BigInt(msg.data.length) > MAX_INITCODE_SIZE) {
    throw new MessageError(`max initcode size exceeded: code size ${msg.data.length} limit ${MAX_INITCODE_SIZE}`, 'initCodeSize')
  }
  // buyGas: the balance must cover gas * feeCap + value (+ blob gas * blob fee cap).
  let want = msg.gasLimit * msg.gasFeeCap + msg.value
  if (common.isActivatedEIP(4844) && blobGas > 0n) want += blobGas * (msg.blobFeeCap ?? 0n)
  const have = (await state.getAccount(msg.from))?.balance ?? 0n
  if (have < want) throw new MessageError(`insufficient funds for gas * price + value: address ${from} have ${have} want ${want}`, 'insufficientFunds')
}

/** The unsigned transaction runTx executes for `msg` (its sender is msg.from). */
export function buildTx(cc: Pick<CallContext, 'common'>, msg: CallMessage, block: Block): TypedTransaction {
  const { common } = cc
  const opts = { common, freeze: false }
  const base = {
    nonce: msg.nonce > MAX_TX_NONCE ? MAX_TX_NONCE : msg.nonce, // runTx skips the nonce check
    gasLimit: msg.gasLimit > MAX_TX_GAS ? MAX_TX_GAS : msg.gasLimit,
    value: msg.value,
    data: msg.data,
    ...(msg.to !== undefined ? { to: msg.to } : {}),
  }
  const chainId = common.chainId()
  const fees = { maxFeePerGas: msg.gasFeeCap, maxPriorityFeePerGas: msg.gasTipCap }
  let tx: TypedTransaction
  if (msg.authorizations !== undefined) {
    const authorizationList = msg.authorizations.map((a) => [
      bigIntToUnpaddedBytes(a.chainId), a.address, bigIntToUnpaddedBytes(a.nonce), bigIntToUnpaddedBytes(a.yParity),
      bigIntToUnpaddedBytes(a.r), bigIntToUnpaddedBytes(a.s),
    ]) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array][]
    tx = createEOACode7702Tx({ ...base, ...fees, chainId, accessList: msg.accessList, authorizationList }, opts)
  } else if (msg.blobHashes !== undefined) {
    // geth zeroes the blob base fee for a zero cap; ethereumjs cannot, so the cap meets the price.
    const blobPrice = block.header.excessBlobGas !== undefined ? block.header.getBlobGasPrice() : 1n
    const maxFeePerBlobGas = (msg.blobFeeCap ?? 0n) === 0n ? blobPrice : msg.blobFeeCap!
    tx = createBlob4844Tx({ ...base, ...fees, chainId, accessList: msg.accessList, blobVersionedHashes: msg.blobHashes, maxFeePerBlobGas }, opts)
  } else if (block.header.baseFeePerGas !== undefined) {
    tx = createFeeMarket1559Tx({ ...base, ...fees, chainId, accessList: msg.accessList }, opts)
  } else if (msg.accessList.length > 0 && common.isActivatedEIP(2930)) {
    tx = createAccessList2930Tx({ ...base, gasPrice: msg.gasPrice, chainId, accessList: msg.accessList }, opts)
  } else {
    tx = createLegacyTx({ ...base, gasPrice: msg.gasPrice }, opts)
  }
  // Past EIP-7825's cap only in the object: calls may use more gas than a transaction.
  ;(tx as { gasLimit: bigint }).gasLimit = msg.gasLimit
  Object.defineProperty(tx, 'getSenderAddress', { value: () => msg.from })
  return tx
}

/** An Account view whose first codeHash read says "no code": lets a contract be `from` (geth skips EIP-3607 in calls). */
function eoaOnce(account: Account): Account {
  let real = account.codeHash
  let first = true
  Object.defineProperty(account, 'codeHash', {
    configurable: true,
    get: () => {
      if (first) {
        first = false
        return KECCAK256_NULL
      }
      return real
    },
    set: (v: Uint8Array) => {
      real = v
    },
  })
  return account
}

/** Executes `msg` and reverts every state change; throws MessageError for pre-check failures. */
export async function applyMessage(cc: CallContext, msg: CallMessage, opts: { reportAccessList?: boolean } = {}): Promise<ExecutionResult> {
  const { state, common } = cc
  // geth lowers the base fee to 0 for zero-priced calls (NoBaseFee).
  const blockBaseFee = msg.gasPrice === 0n ? 0n : (cc.header.baseFeePerGas ?? 0n)
  await preCheck(cc, msg, blockBaseFee)
  const data = callHeaderData(cc.header, undefined)
  if (cc.header.baseFeePerGas !== undefined) data.baseFeePerGas = blockBaseFee
  const block = makeBlock(common, data)
  const tx = buildTx(cc, msg, block)
  const intrinsic = tx.getIntrinsicGas()
  if (msg.gasLimit < intrinsic) throw new MessageError(`intrinsic gas too low: have ${msg.gasLimit}, want ${intrinsic}`, 'intrinsicGas')
  const floor = common.isActivatedEIP(7623) ? getCalldataFloorGas(tx, msg.from) : 0n
  if (msg.gasLimit < floor) throw new MessageError(`insufficient gas for floor data gas cost: have ${msg.gasLimit}, want ${floor}`)

  const restore = await eoaView(state, msg.from)
  try {
    const res = await runOnce(cc, tx, block, opts.reportAccessList === true)
    const err = res.execResult.exceptionError
    const beforeRefund = res.execResult.executionGasUsed + intrinsic
    const out: ExecutionResult = {
      failed: err !== undefined,
      reverted: err?.error === EVMError.errorMessages.REVERT,
      outOfGas: err?.error === EVMError.errorMessages.OUT_OF_GAS,
      returnValue: res.execResult.returnValue,
      usedGas: res.totalGasSpent,
      maxUsedGas: beforeRefund > floor ? beforeRefund : floor,
    }
    if (err !== undefined && !out.reverted) out.vmError = vmErrorText(err.error, msg)
    // geth names the opcode; ethereumjs does not: run once more and watch the last step (failures only).
    if (err?.error === EVMError.errorMessages.INVALID_OPCODE) out.vmError = invalidOpcodeText(await lastOpcode(cc, msg, tx, block))
    if (res.accessList !== undefined) out.accessList = res.accessList as ExecutionResult['accessList']
    return out
  } finally {
    restore()
  }
}

/**
 * Lets an account with code (not an EIP-7702 delegation) be a transaction's sender for one runTx:
 * its first account read answers "no code" (geth skips EIP-3607 in calls and simulations). Answers
 * the function that puts the state manager back.
 */
export async function eoaView(state: MerkleStateManager, from: Address): Promise<() => void> {
  const code = await state.getCode(from)
  const getAccount = state.getAccount
  const restore = (): void => {
    state.getAccount = getAccount
  }
  if (code.length === 0 || equalsBytes(code.subarray(0, 3), DELEGATION_PREFIX)) return restore
  const target = from.toString()
  state.getAccount = async function (this: MerkleStateManager, address: Address) {
    const acc = await getAccount.call(this, address)
    if (acc === undefined || address.toString() !== target) return acc
    state.getAccount = getAccount
    return eoaOnce(acc)
  }
  return restore
}

/** One runTx of the call's transaction, its state changes reverted. */
async function runOnce(cc: CallContext, tx: TypedTransaction, block: Block, reportAccessList: boolean): Promise<RunTxResult> {
  await cc.state.checkpoint()
  try {
    return await runTx(cc.vm, {
      tx,
      block,
      skipNonce: true,
      skipBalance: true,
      skipBlockGasLimitValidation: true,
      skipHardForkValidation: true,
      ...(reportAccessList ? { reportAccessList: true } : {}),
    })
  } finally {
    await cc.state.revert()
  }
}

/**
 * The byte of the last opcode the call's EVM stepped on (ethereumjs reports every undefined opcode as
 * 0xfe, so the byte is read from the code: the message's data for a top-level creation, else the
 * code at the frame's address, which state overrides set before the checkpoint).
 */
async function lastOpcode(cc: CallContext, msg: CallMessage, tx: TypedTransaction, block: Block): Promise<number> {
  let last: { pc: number; depth: number; codeAddress: Address } | undefined
  const onStep = (step: InterpreterStep): void => {
    last = { pc: step.pc, depth: step.depth, codeAddress: step.codeAddress }
  }
  cc.vm.evm.events!.on('step', onStep)
  try {
    await runOnce(cc, tx, block, false)
  } catch {
    // a rerun that fails otherwise leaves what it saw
  } finally {
    cc.vm.evm.events!.off('step', onStep)
  }
  if (last === undefined) return 0xfe
  const code = last.depth === 0 && msg.to === undefined ? msg.data : await cc.state.getCode(last.codeAddress)
  return code[last.pc] ?? 0xfe
}
