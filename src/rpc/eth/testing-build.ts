// testing_buildBlockV1 (execution-apis `testing` namespace, as geth serves it): builds a block on any
// known parent from the given transactions (or, with `null`, from the pool's pending ones) with the
// payload builder's own two passes (src/exec/build.ts), in the RPC call workers, and answers it as
// engine_getPayloadV5 would, without importing it or moving the head. Given transactions must all
// apply: the first that does not is the error, with geth's pre-check text. Blob transactions given
// as network wrappers (and the pool's, which keep theirs) bring their sidecars into `blobsBundle`.
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { RLP } from '@ethereumjs/rlp'
import { Blob4844Tx, Capability, createBlob4844TxFromSerializedNetworkWrapper, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, type WithdrawalData } from '@ethereumjs/util'
import type { VM } from '@ethereumjs/vm'
import type { Block } from '@ethereumjs/block'
import { buildOnParent } from '../../exec/build.ts'
import { InvalidParamsError } from '../errors.ts'
import { withdrawalsJSON, type CallMessage } from './call-args.ts'
import type { CallBackend } from './call-job.ts'
import { ServerError } from './errors.ts'
import { MessageError, preCheck } from './evm-call.ts'
import type { Json, JsonObject } from './format.ts'
import { addressJSON, bytesJSON, hashJSON, jsonKind, toData, toQuantity, uint64JSON } from './params.ts'

/** geth's default --miner.gaslimit: built blocks move the parent's gas limit toward it. */
export const TESTING_GAS_TARGET = 60_000_000n

export interface BuildAttributes {
  timestamp: bigint
  prevRandao: Uint8Array
  feeRecipient: Uint8Array
  withdrawals?: WithdrawalData[]
  parentBeaconBlockRoot?: Uint8Array
}

export interface BuildBlockJob {
  method: 'testing_buildBlockV1'
  parentHash: Uint8Array
  attributes: BuildAttributes
  /** EIP-2718 encodings, in block order. */
  txs: Uint8Array[]
  /** The transactions came from the pool: those that do not apply are left out instead of failing the call. */
  fromPool: boolean
  extraData: Uint8Array
  gasTarget: bigint
  deadline: number
  timeoutMs: number
}

/** The payload attributes object (V3 fields; `withdrawals` and `parentBeaconBlockRoot` by fork). */
export function buildAttributesJSON(v: unknown): BuildAttributes {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidParamsError(`invalid argument 1: json: cannot unmarshal ${jsonKind(v)} into Go value of type engine.PayloadAttributes`)
  const o = v as Record<string, unknown>
  for (const k of ['timestamp', 'prevRandao', 'suggestedFeeRecipient']) {
    if (o[k] === undefined || o[k] === null) throw new InvalidParamsError(`invalid argument 1: missing required field '${k}' for PayloadAttributes`)
  }
  const w = (field: string) => ({ struct: 'PayloadAttributes', field })
  const a: BuildAttributes = {
    timestamp: uint64JSON(o['timestamp'], w('timestamp')),
    prevRandao: hashJSON(o['prevRandao'], w('prevRandao')),
    feeRecipient: addressJSON(o['suggestedFeeRecipient'], w('suggestedFeeRecipient')),
  }
  if (o['withdrawals'] !== undefined && o['withdrawals'] !== null) {
    a.withdrawals = withdrawalsJSON(o['withdrawals']).map((x) => ({ index: x.index, validatorIndex: x.validatorIndex, address: x.address, amount: x.amount }))
  }
  if (o['parentBeaconBlockRoot'] !== undefined && o['parentBeaconBlockRoot'] !== null) a.parentBeaconBlockRoot = hashJSON(o['parentBeaconBlockRoot'], w('parentBeaconBlockRoot'))
  return a
}

export function rawTxsJSON(v: unknown): Uint8Array[] {
  if (!Array.isArray(v)) throw new InvalidParamsError(`invalid argument 2: json: cannot unmarshal ${jsonKind(v)} into Go value of type []hexutil.Bytes`)
  return v.map((x) => bytesJSON(x))
}

/** A signed transaction as geth's core.Message, for the pre-checks. */
function txMessage(tx: TypedTransaction): CallMessage {
  const feeMarket = tx.supports(Capability.EIP1559FeeMarket)
  const t = tx as TypedTransaction & { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint; maxFeePerBlobGas?: bigint; blobVersionedHashes?: string[]; accessList?: [Uint8Array, Uint8Array[]][] }
  const feeCap = feeMarket ? t.maxFeePerGas! : t.gasPrice!
  const m: CallMessage = {
    from: tx.getSenderAddress(),
    value: tx.value,
    nonce: tx.nonce,
    gasLimit: tx.gasLimit,
    gasPrice: feeCap,
    gasFeeCap: feeCap,
    gasTipCap: feeMarket ? t.maxPriorityFeePerGas! : t.gasPrice!,
    data: tx.data,
    accessList: t.accessList ?? [],
  }
  if (tx.to !== undefined) m.to = tx.to
  if (t.blobVersionedHashes !== undefined) {
    m.blobHashes = t.blobVersionedHashes.map((h) => Uint8Array.from(Buffer.from(h.slice(2), 'hex')))
    m.blobFeeCap = t.maxFeePerBlobGas ?? 0n
  }
  return m
}

/** geth's pre-checks of a transaction about to be applied (nonce, fees, funds, intrinsic gas). */
async function gethPrecheck(tx: TypedTransaction, vm: VM, template: Block): Promise<void> {
  const msg = txMessage(tx)
  const cc = { common: vm.common, state: vm.stateManager as MerkleStateManager, header: template.header }
  try {
    await preCheck(cc, msg, template.header.baseFeePerGas ?? 0n, { noBaseFee: false, nonce: true })
  } catch (err) {
    if (err instanceof MessageError) throw new Error(err.message)
    throw err
  }
  const intrinsic = tx.getIntrinsicGas()
  if (tx.gasLimit < intrinsic) throw new Error(`intrinsic gas too low: have ${tx.gasLimit}, want ${intrinsic}`)
}

/** A transaction's EIP-2718 encoding, or a blob transaction's network wrapper (with its sidecar). */
function decodeTx(raw: Uint8Array, common: Common): TypedTransaction {
  try {
    const wrapper = raw[0] === 3 && Array.isArray((RLP.decode(raw.subarray(1)) as unknown[])[0])
    return wrapper ? createBlob4844TxFromSerializedNetworkWrapper(raw, { common }) : createTxFromRLP(raw, { common })
  } catch (err) {
    throw new InvalidParamsError(`invalid transaction: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** Runs a testing_buildBlockV1 job: the engine_getPayloadV5-shaped envelope of the built block. */
export async function runBuildBlockJob(backend: CallBackend, job: BuildBlockJob): Promise<Json> {
  const parent = await backend.headerByHash(job.parentHash)
  if (parent === undefined) throw new ServerError(`parent block ${bytesToHex(job.parentHash)} not found`)
  const common = backend.common.copy()
  common.setHardforkBy({ blockNumber: parent.number + 1n, timestamp: job.attributes.timestamp })
  const txs = job.txs.map((raw) => decodeTx(raw, common))
  const a = job.attributes
  const built = await buildOnParent({
    parent,
    base: backend.kv,
    headerByHash: backend.headerByHash,
    common: backend.common,
    attributes: {
      timestamp: a.timestamp,
      feeRecipient: a.feeRecipient,
      prevRandao: a.prevRandao,
      targetGasLimit: job.gasTarget,
      extraData: job.extraData,
      ...(a.withdrawals !== undefined ? { withdrawals: a.withdrawals } : {}),
      ...(a.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: a.parentBeaconBlockRoot } : {}),
    },
    txs,
    ...(job.fromPool ? {} : { precheck: gethPrecheck }),
  })
  // The sidecars of the included blob transactions that came with one, in block order.
  const sidecars = new Map(txs.filter((tx): tx is Blob4844Tx => tx instanceof Blob4844Tx && tx.blobs !== undefined).map((tx) => [bytesToHex(tx.hash()), tx]))
  const blobsBundle = { commitments: [] as string[], proofs: [] as string[], blobs: [] as string[] }
  const failed = built.skipped[0]
  if (!job.fromPool && failed !== undefined) throw new ServerError(failed.error)
  const block = built.block
  for (const tx of block.transactions) {
    const w = sidecars.get(bytesToHex(tx.hash()))
    if (w === undefined) continue
    blobsBundle.commitments.push(...w.kzgCommitments!)
    blobsBundle.proofs.push(...w.kzgProofs!)
    blobsBundle.blobs.push(...w.blobs!)
  }
  const h = block.header
  const payload: JsonObject = {
    parentHash: toData(h.parentHash),
    feeRecipient: h.coinbase.toString(),
    stateRoot: toData(h.stateRoot),
    receiptsRoot: toData(h.receiptTrie),
    logsBloom: toData(h.logsBloom),
    prevRandao: toData(h.mixHash),
    blockNumber: toQuantity(h.number),
    gasLimit: toQuantity(h.gasLimit),
    gasUsed: toQuantity(h.gasUsed),
    timestamp: toQuantity(h.timestamp),
    extraData: toData(h.extraData),
    baseFeePerGas: toQuantity(h.baseFeePerGas ?? 0n),
    blockHash: toData(block.hash()),
    transactions: block.transactions.map((tx) => toData(tx.serialize())),
  }
  if (block.withdrawals !== undefined) {
    payload['withdrawals'] = block.withdrawals.map((w) => ({ index: toQuantity(w.index), validatorIndex: toQuantity(w.validatorIndex), address: w.address.toString(), amount: toQuantity(w.amount) }))
  }
  if (h.blobGasUsed !== undefined) payload['blobGasUsed'] = toQuantity(h.blobGasUsed)
  if (h.excessBlobGas !== undefined) payload['excessBlobGas'] = toQuantity(h.excessBlobGas)
  // Requests with no entries are left out (EIP-7685's engine encoding).
  const requests = (built.requests ?? []).map((r) => r.bytes).filter((b) => b.length > 1)
  return {
    executionPayload: payload,
    blockValue: toQuantity(built.blockValue),
    blobsBundle,
    executionRequests: requests.map(toData),
    shouldOverrideBuilder: false,
  }
}
