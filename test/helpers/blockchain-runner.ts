// Runs one ethereum/tests or execution-spec-tests `blockchain_test` case through the real store,
// chain and executor: genesis from `pre`, every block's RLP inserted in order (valid ones become the
// head; ones with `expectException` must be rejected and leave the head where it was), then the
// head must be `lastblockhash` and the flat state must equal `postState`.
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, hexToBytes, KECCAK256_NULL, KECCAK256_RLP, bigIntToUnpaddedBytes, setLengthLeft } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import pino from 'pino'
import { commonForFixtureNetwork, genesisBlock, writeGenesisState } from '../../config/index.ts'
import { Chain } from '../../src/chain/chain.ts'
import { decodeBlock } from '../../src/chain/decode.ts'
import { initGenesis } from '../../src/chain/genesis.ts'
import type { KVStore } from '../../src/db/interface.ts'
import { key, Prefix } from '../../src/db/keys.ts'
import { MemoryKV } from '../../src/db/memory.ts'
import { parallaxCryptoWithKzg } from '../../src/exec/crypto.ts'
import type { Executor } from '../../src/exec/sequential.ts'
import { SequentialExecutor } from '../../src/exec/sequential.ts'
import { genesisSpecFromFixture, type FixtureGenesisCase } from './fixture-genesis.ts'

export interface BlockchainTestCase extends FixtureGenesisCase {
  blocks: { rlp: string; expectException?: string; blockHeader?: { hash: string } }[]
  lastblockhash: string
  postState?: Record<string, { balance: string; nonce: string; code: string; storage: Record<string, string> }>
  postStateHash?: string
  genesisBlockHeader: { hash: string; stateRoot: string } & Record<string, unknown>
}

export interface CaseResult {
  pass: boolean
  detail: string
}

/** System-contract addresses of pectra devnet-6 (see the fixtures README): not mainnet Prague. */
export const STALE_SYSTEM_CONTRACTS = [
  '0x0c15f14308530b7cdb8460094bbb9cc28b9aaaaa',
  '0x00431f263ce400f4455c2dcf564e53007ca4bbbb',
  '0x0f792be4b0c0cb4dae440ef133e90c0ecd48cccc',
]

export function usesStaleSystemContracts(tc: { pre: Record<string, unknown> }): boolean {
  const pre = Object.keys(tc.pre).map((a) => a.toLowerCase())
  return STALE_SYSTEM_CONTRACTS.some((a) => pre.includes(a))
}

const silent = pino({ level: 'silent' })
const hashOf = (b: Uint8Array): Uint8Array => keccak_256(b)

export async function runBlockchainCase(
  tc: BlockchainTestCase,
  opts: { kv?: KVStore; executor?: Executor } = {},
): Promise<CaseResult> {
  const common = commonForFixtureNetwork(tc.network, parallaxCryptoWithKzg(), tc.config)
  const spec = genesisSpecFromFixture(tc)
  const kv = opts.kv ?? new MemoryKV()
  const { block: genesis } = await initGenesis(kv, {
    common,
    writeState: (o) => writeGenesisState(spec, o),
    block: (root) => genesisBlock(spec, common, root),
    chainConfig: '{}',
  })
  if (bytesToHex(genesis.hash()) !== tc.genesisBlockHeader.hash) {
    return { pass: false, detail: `genesis hash ${bytesToHex(genesis.hash())} != ${tc.genesisBlockHeader.hash}` }
  }
  const chain = await Chain.open({ kv, common, executor: opts.executor ?? new SequentialExecutor(), logger: silent })
  for (const [i, b] of tc.blocks.entries()) {
    const invalidExpected = b.expectException !== undefined
    let block
    try {
      block = decodeBlock(hexToBytes(b.rlp as `0x${string}`), common)
    } catch (err) {
      if (invalidExpected) continue
      return { pass: false, detail: `block ${i}: decode failed: ${(err as Error).message}` }
    }
    const before = chain.head.hash()
    const res = await chain.insertBlock(block, { setHead: !invalidExpected })
    if (invalidExpected) {
      // An unknown parent is a rejection too (import refuses it; the engine API answers SYNCING).
      if (res.status !== 'invalid' && res.status !== 'unknown-parent') {
        return { pass: false, detail: `block ${i}: expected ${b.expectException}, got ${res.status}` }
      }
      if (bytesToHex(chain.head.hash()) !== bytesToHex(before)) return { pass: false, detail: `block ${i}: head moved on an invalid block` }
    } else if (res.status !== 'imported' && res.status !== 'known') {
      return { pass: false, detail: `block ${i}: ${res.status} ${res.reason ?? ''} ${res.message ?? ''}` }
    }
  }
  if (bytesToHex(chain.head.hash()) !== tc.lastblockhash) {
    return { pass: false, detail: `head ${bytesToHex(chain.head.hash())} != lastblockhash ${tc.lastblockhash}` }
  }
  if (tc.postState !== undefined) {
    const mismatch = await checkFlatState(kv, tc.postState)
    if (mismatch !== undefined) return { pass: false, detail: mismatch }
  }
  return { pass: true, detail: 'ok' }
}

/** The flat tables at the head must hold exactly the accounts and slots of `postState`. */
async function checkFlatState(kv: KVStore, post: NonNullable<BlockchainTestCase['postState']>): Promise<string | undefined> {
  let expectedAccounts = 0
  for (const [addr, acc] of Object.entries(post)) {
    expectedAccounts++
    const ah = hashOf(hexToBytes(addr as `0x${string}`))
    const flat = await kv.get(key(Prefix.FlatAccount, ah))
    if (flat === undefined) return `postState: account ${addr} missing from flat state`
    const [nonce, balance, storageRoot, codeHash] = RLP.decode(flat) as Uint8Array[]
    const q = (s: string) => BigInt(s)
    if (BigInt(bytesToHex(nonce!.length ? nonce! : new Uint8Array([0]))) !== q(acc.nonce)) return `postState: ${addr} nonce`
    if (BigInt(bytesToHex(balance!.length ? balance! : new Uint8Array([0]))) !== q(acc.balance)) return `postState: ${addr} balance`
    const code = hexToBytes(acc.code as `0x${string}`)
    const wantCodeHash = code.length === 0 ? KECCAK256_NULL : hashOf(code)
    if (bytesToHex(codeHash!) !== bytesToHex(wantCodeHash)) return `postState: ${addr} code hash`
    let slots = 0
    for (const [slot, value] of Object.entries(acc.storage)) {
      if (BigInt(value) === 0n) continue
      slots++
      const sh = hashOf(setLengthLeft(bigIntToUnpaddedBytes(BigInt(slot)), 32))
      const got = await kv.get(key(Prefix.FlatStorage, ah, sh))
      const want = RLP.encode(bigIntToUnpaddedBytes(BigInt(value)))
      if (got === undefined || bytesToHex(got) !== bytesToHex(want)) return `postState: ${addr} slot ${slot}: got ${got ? bytesToHex(got) : 'none'} want ${bytesToHex(want)}`
    }
    let flatSlots = 0
    for await (const _ of kv.keys({ gte: key(Prefix.FlatStorage, ah), lt: key(Prefix.FlatStorage, ah, new Uint8Array(32).fill(0xff), Uint8Array.of(0xff)) })) flatSlots++
    if (flatSlots !== slots) return `postState: ${addr} has ${flatSlots} flat slots, expected ${slots}`
    if (slots === 0 && bytesToHex(storageRoot!) !== bytesToHex(KECCAK256_RLP)) return `postState: ${addr} storage root not empty`
  }
  let flatAccounts = 0
  for await (const _ of kv.keys({ gte: Uint8Array.of(Prefix.FlatAccount), lt: Uint8Array.of(Prefix.FlatAccount + 1) })) flatAccounts++
  if (flatAccounts !== expectedAccounts) return `postState: flat state has ${flatAccounts} accounts, expected ${expectedAccounts}`
  return undefined
}
