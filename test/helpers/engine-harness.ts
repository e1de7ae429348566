// Playing the consensus client against an in-process node over real HTTP + JWT, the way hive's engine
// simulators do: start a node from a geth genesis JSON on a MemoryKV chain, build payloads with
// forkchoiceUpdated + getPayload, send them with newPayload, tamper with them (recomputing the block
// hash with @ethereumjs/block, independently of src/engine-api), and sign transactions with the dev keys.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createBlockHeader, genWithdrawalsTrieRoot, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import {
  KECCAK256_RLP_ARRAY,
  bytesToHex,
  concatBytes,
  createAddressFromPrivateKey,
  createWithdrawal,
  hexToBytes,
} from '@ethereumjs/util'
import { sha256 } from '@noble/hashes/sha2.js'
import pino from 'pino'
import { commonFromGenesis, genesisBlock, parseGenesis, writeGenesisState } from '../../config/index.ts'
import { DEV_PRIVATE_KEYS } from '../../config/presets/dev-keys.ts'
import { Chain } from '../../src/chain/chain.ts'
import { initGenesis } from '../../src/chain/genesis.ts'
import { MemoryKV } from '../../src/db/memory.ts'
import { parallaxCryptoWithKzg } from '../../src/exec/crypto.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { versionsAt } from '../../src/node/engine-client.ts'
import { startNode, type RunningNode } from '../../src/node/node.ts'
import { RpcClient, type RpcReply } from './rpc-client.ts'

export type Hex = `0x${string}`

export const ZERO32: Hex = `0x${'00'.repeat(32)}`
export const GWEI = 1_000_000_000n

export interface WithdrawalJson {
  index: Hex
  validatorIndex: Hex
  address: Hex
  amount: Hex
}

export interface PayloadJson {
  parentHash: Hex
  feeRecipient: Hex
  stateRoot: Hex
  receiptsRoot: Hex
  logsBloom: Hex
  prevRandao: Hex
  blockNumber: Hex
  gasLimit: Hex
  gasUsed: Hex
  timestamp: Hex
  extraData: Hex
  baseFeePerGas: Hex
  blockHash: Hex
  transactions: Hex[]
  withdrawals?: WithdrawalJson[]
  blobGasUsed?: Hex
  excessBlobGas?: Hex
}

/** A payload plus the newPayload params that are not part of it (both enter the block hash). */
export interface Envelope {
  payload: PayloadJson
  parentBeaconBlockRoot?: Hex
  executionRequests?: Hex[]
}

export interface PayloadStatusJson {
  status: string
  latestValidHash: Hex | null
  validationError: string | null
}

export interface ForkchoiceResultJson {
  payloadStatus: PayloadStatusJson
  payloadId: Hex | null
}

export interface GetPayloadJson {
  executionPayload: PayloadJson
  blockValue: Hex
  blobsBundle?: { commitments: Hex[]; proofs: Hex[]; blobs: Hex[] }
  shouldOverrideBuilder?: boolean
  executionRequests?: Hex[]
}

export interface AttributesInput {
  timestamp: bigint
  prevRandao?: Hex
  feeRecipient?: Hex
  withdrawals?: WithdrawalJson[]
  parentBeaconBlockRoot?: Hex
}

/** The head a block is built on. */
export interface HeadRef {
  hash: Hex
  number: bigint
  timestamp: bigint
}

export const hex = (n: bigint | number): Hex => `0x${BigInt(n).toString(16)}`
export const randomHash = (): Hex => bytesToHex(randomBytes(32)) as Hex
export const randomAddress = (): Hex => bytesToHex(randomBytes(20)) as Hex

/** The dev preset's genesis JSON (a fresh object), to use as is or with changed fork times. */
export function devGenesisJson(): Record<string, unknown> & { config: Record<string, unknown> } {
  const text = readFileSync(new URL('../../config/presets/dev.json', import.meta.url), 'utf8')
  return JSON.parse(text) as Record<string, unknown> & { config: Record<string, unknown> }
}

const silent = pino({ level: 'silent' })

export interface Harness {
  node: RunningNode
  rpc: RpcClient
  url: string
  secret: Uint8Array
  common: Common
  genesis: HeadRef
  engine: EngineDriver
  close(): Promise<void>
}

/** A fresh in-memory chain from `genesisJson` (sequential executor, silent logs), and its genesis block. */
export async function openMemoryChain(genesisJson: unknown): Promise<{ chain: Chain; common: Common; block: Block }> {
  const spec = parseGenesis(genesisJson)
  const common = commonFromGenesis(spec, parallaxCryptoWithKzg())
  const kv = new MemoryKV()
  const { block } = await initGenesis(kv, {
    common,
    writeState: (o) => writeGenesisState(spec, o),
    block: (root) => genesisBlock(spec, common, root),
    chainConfig: JSON.stringify(genesisJson),
  })
  const chain = await Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
  return { chain, common, block }
}

/** A node on a fresh in-memory chain from `genesisJson`, its Engine API on 127.0.0.1:<random> with a random JWT secret. */
export async function startHarness(genesisJson: unknown): Promise<Harness> {
  const { chain, common, block } = await openMemoryChain(genesisJson)
  const secret = new Uint8Array(randomBytes(32))
  const node = await startNode({ chain, common, logger: silent, authrpc: { addr: '127.0.0.1', port: 0, jwtSecret: secret } })
  const rpc = new RpcClient(node.engineServer.url, secret)
  const genesis: HeadRef = { hash: bytesToHex(block.hash()) as Hex, number: block.header.number, timestamp: block.header.timestamp }
  return { node, rpc, url: node.engineServer.url, secret, common, genesis, engine: new EngineDriver(rpc, common), close: () => node.close() }
}

// ---- JSON-RPC results and errors ----

/** The JSON-RPC error code of a call (fails when the call succeeded). */
export async function errorCode(rpc: RpcClient, method: string, params: unknown[]): Promise<number | string> {
  const r: RpcReply = await rpc.raw(method, params)
  return r.error === undefined ? `no error, result ${JSON.stringify(r.result)}` : r.error.code
}

export function refOf(p: PayloadJson): HeadRef {
  return { hash: p.blockHash, number: BigInt(p.blockNumber), timestamp: BigInt(p.timestamp) }
}

// ---- the consensus client's side ----

export class EngineDriver {
  readonly rpc: RpcClient
  readonly common: Common
  constructor(rpc: RpcClient, common: Common) {
    this.rpc = rpc
    this.common = common
  }

  versions(number: bigint, timestamp: bigint) {
    return versionsAt(this.common, number, timestamp)
  }

  /** PayloadAttributesV<version> for `a` (withdrawals [] and a zero beacon root unless given). */
  attributes(a: AttributesInput, version: number): Record<string, unknown> {
    const out: Record<string, unknown> = {
      timestamp: hex(a.timestamp),
      prevRandao: a.prevRandao ?? ZERO32,
      suggestedFeeRecipient: a.feeRecipient ?? `0x${'00'.repeat(20)}`,
    }
    if (version >= 2) out['withdrawals'] = a.withdrawals ?? []
    if (version >= 3) out['parentBeaconBlockRoot'] = a.parentBeaconBlockRoot ?? ZERO32
    return out
  }

  async forkchoice(head: Hex, attrs?: Record<string, unknown> | null, version = 3, safe: Hex = ZERO32, finalized: Hex = ZERO32): Promise<ForkchoiceResultJson> {
    const state = { headBlockHash: head, safeBlockHash: safe, finalizedBlockHash: finalized }
    return (await this.rpc.call(`engine_forkchoiceUpdatedV${version}`, [state, attrs ?? null])) as ForkchoiceResultJson
  }

  /** fcU(parent, attrs) + getPayload with the versions a CL uses at that timestamp. The head moves to `parent`. */
  async build(parent: HeadRef, a: AttributesInput): Promise<{ env: Envelope; built: GetPayloadJson }> {
    const v = this.versions(parent.number + 1n, a.timestamp)
    const fcu = await this.forkchoice(parent.hash, this.attributes(a, v.forkchoiceUpdated), v.forkchoiceUpdated)
    if (fcu.payloadId === null) throw new Error(`no payload id: ${JSON.stringify(fcu.payloadStatus)}`)
    const built = (await this.rpc.call(`engine_getPayloadV${v.getPayload}`, [fcu.payloadId])) as GetPayloadJson
    const payload = v.getPayload === 1 ? (built as unknown as PayloadJson) : built.executionPayload
    const env: Envelope = { payload }
    if (v.newPayload >= 3) env.parentBeaconBlockRoot = a.parentBeaconBlockRoot ?? ZERO32
    if (v.newPayload >= 4) env.executionRequests = built.executionRequests ?? []
    return { env, built: v.getPayload === 1 ? { executionPayload: payload, blockValue: '0x0' } : built }
  }

  /** newPayload params of `env` for a given method version (default: the version for its timestamp). */
  newPayloadParams(env: Envelope, version: number): unknown[] {
    const params: unknown[] = [env.payload]
    if (version >= 3) params.push([], env.parentBeaconBlockRoot ?? ZERO32)
    if (version >= 4) params.push(env.executionRequests ?? [])
    return params
  }

  async newPayload(env: Envelope, version?: number): Promise<PayloadStatusJson> {
    const v = version ?? this.versions(BigInt(env.payload.blockNumber), BigInt(env.payload.timestamp)).newPayload
    return (await this.rpc.call(`engine_newPayloadV${v}`, this.newPayloadParams(env, v))) as PayloadStatusJson
  }

  /** build → newPayload → fcU to the new block; throws unless both answer VALID. */
  async extend(parent: HeadRef, a: AttributesInput): Promise<Envelope> {
    const { env } = await this.build(parent, a)
    const st = await this.newPayload(env)
    if (st.status !== 'VALID') throw new Error(`newPayload: ${JSON.stringify(st)}`)
    const v = this.versions(BigInt(env.payload.blockNumber), BigInt(env.payload.timestamp))
    const fcu = await this.forkchoice(env.payload.blockHash, null, v.forkchoiceUpdated)
    if (fcu.payloadStatus.status !== 'VALID') throw new Error(`forkchoiceUpdated: ${JSON.stringify(fcu)}`)
    return env
  }

  /** `n` blocks on `parent`, 12 s apart, each with its own prevRandao and the given fee recipient. */
  async extendMany(parent: HeadRef, n: number, feeRecipient: Hex): Promise<Envelope[]> {
    const out: Envelope[] = []
    let head = parent
    for (let i = 0; i < n; i++) {
      const env = await this.extend(head, { timestamp: head.timestamp + 12n, feeRecipient, prevRandao: randomHash() })
      out.push(env)
      head = refOf(env.payload)
    }
    return out
  }
}

// ---- block hashes, computed apart from src/engine-api ----

function requestsHashOf(requests: readonly Hex[]): Uint8Array {
  const parts = requests.map((r) => hexToBytes(r)).filter((r) => r.length > 1).map((r) => sha256(r))
  return sha256(concatBytes(...parts))
}

/** The transactions root over raw encodings (which need not decode): key rlp(i), value the bytes. */
async function transactionsRootOf(raw: readonly Hex[]): Promise<Uint8Array> {
  const trie = new MerklePatriciaTrie()
  for (const [i, tx] of raw.entries()) await trie.put(RLP.encode(i), hexToBytes(tx))
  return trie.root()
}

/** The block hash of `env` from its header fields, with @ethereumjs/block. */
export async function blockHashOf(env: Envelope, common: Common): Promise<Hex> {
  const p = env.payload
  const c = common.copy()
  c.setHardforkBy({ blockNumber: BigInt(p.blockNumber), timestamp: BigInt(p.timestamp) })
  const withdrawals = p.withdrawals?.map((w) => createWithdrawal(w))
  const header = createBlockHeader(
    {
      parentHash: p.parentHash,
      uncleHash: KECCAK256_RLP_ARRAY,
      coinbase: p.feeRecipient,
      stateRoot: p.stateRoot,
      transactionsTrie: await transactionsRootOf(p.transactions),
      receiptTrie: p.receiptsRoot,
      logsBloom: p.logsBloom,
      difficulty: 0n,
      number: BigInt(p.blockNumber),
      gasLimit: BigInt(p.gasLimit),
      gasUsed: BigInt(p.gasUsed),
      timestamp: BigInt(p.timestamp),
      extraData: p.extraData,
      mixHash: p.prevRandao,
      nonce: new Uint8Array(8),
      baseFeePerGas: BigInt(p.baseFeePerGas),
      ...(withdrawals !== undefined ? { withdrawalsRoot: await genWithdrawalsTrieRoot(withdrawals) } : {}),
      ...(p.blobGasUsed !== undefined ? { blobGasUsed: BigInt(p.blobGasUsed) } : {}),
      ...(p.excessBlobGas !== undefined ? { excessBlobGas: BigInt(p.excessBlobGas) } : {}),
      ...(env.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: env.parentBeaconBlockRoot } : {}),
      ...(env.executionRequests !== undefined ? { requestsHash: requestsHashOf(env.executionRequests) } : {}),
    },
    { common: c, setHardfork: true, skipConsensusFormatValidation: true },
  )
  return bytesToHex(header.hash()) as Hex
}

/** `env` with payload fields replaced and the block hash recomputed, so only the block itself is wrong. */
export async function tamper(env: Envelope, changes: Partial<PayloadJson>, common: Common): Promise<Envelope> {
  const out: Envelope = { ...env, payload: { ...env.payload, ...changes } }
  out.payload.blockHash = await blockHashOf(out, common)
  return out
}

// ---- transactions from the dev keys ----

export const DEV_KEYS: readonly Uint8Array[] = DEV_PRIVATE_KEYS.map((k) => hexToBytes(k))
export const devAddress = (i: number): Hex => createAddressFromPrivateKey(DEV_KEYS[i]!).toString() as Hex

export interface TxInput {
  key: number
  nonce: bigint
  to?: Hex
  value?: bigint
  data?: Hex
  gasLimit?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
}

/** A signed EIP-1559 transaction: its raw encoding and hash. */
export function signTx(common: Common, tx: TxInput): { raw: Hex; hash: Hex } {
  const signed = createFeeMarket1559Tx(
    {
      chainId: common.chainId(),
      nonce: tx.nonce,
      ...(tx.to !== undefined ? { to: tx.to } : {}),
      value: tx.value ?? 0n,
      data: tx.data ?? '0x',
      gasLimit: tx.gasLimit ?? 21_000n,
      maxFeePerGas: tx.maxFeePerGas ?? 10n * GWEI,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? GWEI,
    },
    { common },
  ).sign(DEV_KEYS[tx.key]!)
  return { raw: bytesToHex(signed.serialize()) as Hex, hash: bytesToHex(signed.hash()) as Hex }
}

/** Sends `tx` with eth_sendRawTransaction on the Engine port; returns the hash the node answered. */
export async function sendTx(rpc: RpcClient, common: Common, tx: TxInput): Promise<Hex> {
  const { raw, hash } = signTx(common, tx)
  const got = (await rpc.call('eth_sendRawTransaction', [raw])) as Hex
  if (got !== hash) throw new Error(`eth_sendRawTransaction answered ${got}, expected ${hash}`)
  return hash
}

/** Polls `check` until it returns true (every 20 ms, at most `ms`). */
export async function waitFor(check: () => Promise<boolean>, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return check()
}
