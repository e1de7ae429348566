// Test fixture for the p2p tests and benchmark: in-memory chains on the dev preset's genesis and a
// block factory (buildOnParent with signed transfers, optionally with bulky calldata).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Block, BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import { pino, type Logger } from 'pino'
import { commonFromGenesis, genesisBlock, loadPreset, writeGenesisState, type GenesisSpec } from '../../../config/index.ts'
import { DEV_PRIVATE_KEYS } from '../../../config/presets/dev-keys.ts'
import { Chain } from '../../../src/chain/chain.ts'
import { initGenesis } from '../../../src/chain/genesis.ts'
import { MemoryKV } from '../../../src/db/memory.ts'
import { buildOnParent } from '../../../src/exec/build.ts'
import { parallaxCrypto } from '../../../src/exec/crypto.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'

/** Silent unless PARALLAX_TEST_LOG names a level (e.g. debug), then JSON lines on stderr. */
export const silent: Logger = pino({ level: process.env['PARALLAX_TEST_LOG'] ?? 'silent' }, pino.destination(2))

export interface DevChain {
  chain: Chain
  common: Common
  kv: MemoryKV
}

/** A fresh in-memory chain at the dev preset's genesis (`tweak` may change the spec). */
export async function devChain(tweak?: (spec: GenesisSpec) => GenesisSpec): Promise<DevChain> {
  const base = loadPreset('dev')
  const spec = tweak !== undefined ? tweak(base) : base
  const common = commonFromGenesis(spec, parallaxCrypto())
  const kv = new MemoryKV()
  await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  const chain = await Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
  return { chain, common, kv }
}

export interface BuildOptions {
  parent?: BlockHeader
  /** Plain transfers in the block (default 1). */
  txs?: number
  /** Calldata bytes per transaction (mostly zeros, every 8th byte random), for bulky blocks. */
  calldata?: number
}

/** Builds blocks on a chain with transfers from one dev account, tracking its nonce. */
export class BlockFactory {
  private nonce = 0n
  private readonly key: Uint8Array
  private seq = 0

  constructor(
    private readonly dev: DevChain,
    keyIndex = 1,
  ) {
    this.key = hexToBytes(DEV_PRIVATE_KEYS[keyIndex]!)
  }

  async build(opts: BuildOptions = {}): Promise<Block> {
    const { chain, common } = this.dev
    const parent = opts.parent ?? chain.head
    const txs = []
    for (let i = 0; i < (opts.txs ?? 1); i++) {
      const data = new Uint8Array(opts.calldata ?? 0)
      for (let j = 0; j < data.length; j += 8) data[j] = (j * 31 + i + this.seq) & 0xff | 1
      const gas = 21000n + BigInt(data.length) * 40n
      txs.push(
        createFeeMarket1559Tx(
          { nonce: this.nonce++, to: `0x${(this.seq % 250 + 1).toString(16).padStart(2, '0').repeat(20)}`, value: 1000n + BigInt(this.seq), gasLimit: gas, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 1n, chainId: common.chainId(), data },
          { common },
        ).sign(this.key),
      )
    }
    this.seq++
    const built = await buildOnParent({
      parent,
      base: chain.store.kv,
      headerByHash: (h) => chain.store.getHeader(h),
      common,
      attributes: {
        timestamp: parent.timestamp + 12n,
        feeRecipient: new Uint8Array(20).fill(0xfe),
        prevRandao: new Uint8Array(32).fill(this.seq & 0xff),
        withdrawals: [],
        parentBeaconBlockRoot: new Uint8Array(32).fill(0x17),
      },
      txs,
    })
    if (built.skipped.length > 0) throw new Error(`block factory: ${built.skipped.length} tx skipped: ${built.skipped[0]!.error}`)
    return built.block
  }

  /** Builds on the head and makes it the head. */
  async extend(opts: Omit<BuildOptions, 'parent'> = {}): Promise<Block> {
    const block = await this.build(opts)
    const res = await this.dev.chain.insertBlock(block, { setHead: true })
    if (res.status !== 'imported') throw new Error(`block factory: insert ${res.status} ${res.message ?? ''}`)
    return block
  }
}

/** A temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** Polls `cond` every 25 ms until true or `ms` passes; returns whether it became true. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return cond()
}
