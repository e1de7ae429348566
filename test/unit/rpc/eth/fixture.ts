// A one-block (genesis) chain for the eth_* method tests, on memory or on a LevelDB store, and a
// dispatcher that answers like the server: { result } or { error: { code, message, data? } }.
import type { Block } from '@ethereumjs/block'
import { createBlob4844Tx, createFeeMarket1559Tx, type Blob4844Tx, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes, privateToAddress } from '@ethereumjs/util'
import pino from 'pino'
import { DEV_PRIVATE_KEYS } from '../../../../config/presets/dev-keys.ts'
import { commonFromGenesis, genesisBlock, parseGenesis, writeGenesisState } from '../../../../config/index.ts'
import { Chain } from '../../../../src/chain/chain.ts'
import { initGenesis } from '../../../../src/chain/genesis.ts'
import type { KVStore } from '../../../../src/db/interface.ts'
import { buildOnParent } from '../../../../src/exec/build.ts'
import { SequentialExecutor } from '../../../../src/exec/sequential.ts'
import { parallaxCryptoWithKzg } from '../../../../src/exec/crypto.ts'
import { toRpcError, type RpcErrorObject } from '../../../../src/rpc/errors.ts'
import { createEthMethods, type EthContext } from '../../../../src/rpc/eth/index.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelKV } from '../../../../src/db/level.ts'
import { CallWorkerPool } from '../../../../src/rpc/eth/call-pool.ts'
import { InlineCallRunner } from '../../../../src/rpc/eth/call-runner.ts'
import { ChainReader } from '../../../../src/rpc/eth/resolve.ts'

const KEY = hexToBytes(DEV_PRIVATE_KEYS[0]!)
export const SENDER = bytesToHex(privateToAddress(KEY))
/** A contract that emits LOGS_PER_CALL empty LOG0s per call. */
export const LOGGER: `0x${string}` = '0x000000000000000000000000000000000000106e'
export const LOGS_PER_CALL = 5
export const silent = pino({ level: 'silent' })

const genesisJson = {
  config: {
    chainId: 1337, homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0,
    constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0,
    mergeNetsplitBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0, cancunTime: 0, pragueTime: 0,
  },
  gasLimit: '0x1c9c380', difficulty: '0x0', timestamp: '0x0', extraData: '0x',
  alloc: { [SENDER]: { balance: '0x3635c9adc5dea00000' }, [LOGGER]: { balance: '0x0', code: `0x${'60006000a0'.repeat(LOGS_PER_CALL)}00` } },
}

export async function openChain(kv: KVStore): Promise<Chain> {
  const spec = parseGenesis(genesisJson)
  const common = commonFromGenesis(spec, parallaxCryptoWithKzg())
  await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  return Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
}

export type Answer = { result: unknown } | { error: RpcErrorObject }
export type Call = (method: string, params: unknown[]) => Promise<Answer>

export function ethCaller(chain: Chain, extra: Partial<EthContext> = {}): Call {
  const methods = createEthMethods({ chain, common: chain.common, networkId: 1337n, clientVersion: 'test', ...extra })
  return async (method, params) => {
    try {
      return { result: await methods.get(method)!(params) }
    } catch (err) {
      return { error: toRpcError(err) }
    }
  }
}

/** SENDER's signed EIP-1559 transaction (chain 1337, 10 gwei cap, 1 wei tip). */
export function senderTx(chain: Chain, fields: { nonce: bigint; to?: `0x${string}`; data?: string; value?: bigint; gasLimit: bigint }): TypedTransaction {
  const { to, data, ...rest } = fields
  return createFeeMarket1559Tx({ ...rest, ...(to !== undefined ? { to } : {}), ...(data !== undefined ? { data: hexToBytes(data as `0x${string}`) } : {}), maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, chainId: 1337n }, { common: chain.common }).sign(KEY)
}

/** SENDER's signed blob transaction in network-wrapper form (one blob of `data`). */
export function senderBlobTx(chain: Chain, nonce: bigint, to: `0x${string}`, data: string): Blob4844Tx {
  return createBlob4844Tx({ nonce, to, gasLimit: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, maxFeePerBlobGas: 10n ** 9n, chainId: 1337n, blobsData: [data] }, { common: chain.common }).sign(KEY)
}

/** Builds a block of `txs` on the head and makes it the head (every transaction must fit). */
export async function mineBlock(chain: Chain, txs: TypedTransaction[]): Promise<Block> {
  const parent = chain.head
  const built = await buildOnParent({
    parent,
    base: chain.store.kv,
    headerByHash: (h) => chain.store.getHeader(h),
    common: chain.common,
    attributes: { timestamp: parent.timestamp + 12n, feeRecipient: new Uint8Array(20), prevRandao: new Uint8Array(32), withdrawals: [], parentBeaconBlockRoot: new Uint8Array(32) },
    txs,
  })
  if (built.skipped.length > 0) throw new Error(`tx skipped: ${String(built.skipped[0]!.error)}`)
  await chain.insertBlock(built.block, { setHead: true })
  return built.block
}

/** Appends `count` blocks to the head, each with one call to LOGGER (LOGS_PER_CALL logs per block). */
export async function mineLogBlocks(chain: Chain, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await mineBlock(chain, [senderTx(chain, { nonce: chain.head.number, to: LOGGER, gasLimit: 100_000n })])
}

export interface PooledChain {
  dir: string
  kv: LevelKV
  chain: Chain
  /** Runs jobs in-process (the pool's fallback). */
  inline: InlineCallRunner
  /** One call worker over the chain's LevelDB store, ready. */
  pool: CallWorkerPool
}

/** The test chain on a LevelDB store in a temporary folder, with a call worker pool; all closed at teardown. */
export async function openPooledChain(t: { teardown(fn: () => unknown): void }, prefix: string): Promise<PooledChain> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const kv = await LevelKV.open(join(dir, 'chaindata'), { multithreading: true })
  const chain = await openChain(kv)
  const reader = new ChainReader(chain)
  const inline = new InlineCallRunner({ common: chain.common, headerByHash: (h) => chain.store.getHeader(h), stateAt: (h) => reader.stateAt(h), kv })
  const pool = new CallWorkerPool({ kvPath: join(dir, 'chaindata'), common: chain.common, workers: 1, logger: silent, fallback: inline })
  t.teardown(async () => {
    await pool.close()
    await kv.close()
  })
  return { dir, kv, chain, inline, pool }
}
