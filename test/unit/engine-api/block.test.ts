// payloadToBlock / blockToPayload: every VALID newPayload of the EEST engine fixtures hashes to its
// blockHash and comes back as the same JSON; invalid payloads fail the way the engine needs (a typed
// InvalidPayloadError, never a stray exception); the in-memory ordered trie agrees with ethereumjs.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { genTransactionsTrieRoot } from '@ethereumjs/block'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { SHA256_NULL, bytesToHex, concatBytes, equalsBytes } from '@ethereumjs/util'
import { sha256 } from '@noble/hashes/sha2.js'
import t from 'tap'
import type { Test } from 'tap'
import { commonForFixtureNetwork } from '../../../config/index.ts'
import {
  InvalidPayloadError,
  blockToPayload,
  blockToPayloadBody,
  forkFieldMismatch,
  orderedTrieRoot,
  payloadToBlock,
  requestsHash,
  versionedHashesOf,
} from '../../../src/engine-api/block.ts'
import type { PayloadToBlockOptions } from '../../../src/engine-api/block.ts'
import { NEW_PAYLOAD_STRUCTURE, decodeNewPayloadParams, encodeExecutionPayload, encodePayloadBody } from '../../../src/engine-api/codec.ts'
import type { NewPayloadParams } from '../../../src/engine-api/codec.ts'
import type { ExecutionPayload, NewPayloadVersion } from '../../../src/engine-api/types.ts'
import { blockBodyRlp, blockRlp } from '../../../src/exec/block-bytes.ts'
import { parallaxCryptoWithKzg } from '../../../src/exec/crypto.ts'
import { InvalidParamsError } from '../../../src/rpc/errors.ts'
import { toData } from '../../../src/rpc/wire.ts'
import { ParallaxError } from '../../../src/util/errors.ts'
import { locateSuite, reportMissing } from '../../helpers/fixtures.ts'

const SUITE = 'fselmo-fixtures_eest/blockchain_tests_engine'

interface EngineNewPayload {
  params: unknown[]
  newPayloadVersion: string
  validationError?: string | null
  errorCode?: string | number | null
}
interface EngineCase {
  network: string
  config?: unknown
  engineNewPayloads: EngineNewPayload[]
}
interface FixturePayload {
  name: string
  tc: EngineCase
  np: EngineNewPayload
  version: NewPayloadVersion
}

function* jsonFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) yield* jsonFiles(p)
    else if (p.endsWith('.json')) yield p
  }
}

function* newPayloads(root: string): Generator<FixturePayload> {
  for (const file of jsonFiles(root)) {
    const cases = JSON.parse(readFileSync(file, 'utf8')) as Record<string, EngineCase>
    for (const [name, tc] of Object.entries(cases)) {
      for (const np of tc.engineNewPayloads) yield { name, tc, np, version: Number(np.newPayloadVersion) as NewPayloadVersion }
    }
  }
}

const optsOf = (common: PayloadToBlockOptions['common'], p: NewPayloadParams): PayloadToBlockOptions => ({
  common,
  ...(p.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: p.parentBeaconBlockRoot } : {}),
  ...(p.executionRequests !== undefined ? { executionRequests: p.executionRequests } : {}),
})

function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

const suite = locateSuite(SUITE)
const samples: { valid?: FixturePayload; blob?: FixturePayload; shanghai?: FixturePayload; prague?: FixturePayload } = {}

if (suite === undefined) reportMissing(SUITE)
else {
  t.test('fixtures: VALID payloads hash-match and come back as the same JSON; invalid ones fail typed', async (t) => {
    const outcome: Record<string, number> = {}
    const count = (k: string): void => void (outcome[k] = (outcome[k] ?? 0) + 1)
    const failures: string[] = []
    const started = performance.now()
    let txs = 0
    let checkedRoots = 0
    for (const fp of newPayloads(suite.path)) {
      const { name, tc, np, version } = fp
      if (np.errorCode !== undefined && np.errorCode !== null) continue
      const valid = np.validationError === undefined || np.validationError === null
      let params: NewPayloadParams
      try {
        params = decodeNewPayloadParams(version, np.params)
      } catch (err) {
        // The stale 1-byte executionRequests cases (see codec.test.ts): -32602 per prague.md.
        if (!valid && err instanceof InvalidParamsError) count('invalid: -32602 (stale request cases)')
        else failures.push(`${name}: decode: ${(err as Error).message}`)
        continue
      }
      const common = commonForFixtureNetwork(tc.network, parallaxCryptoWithKzg(), tc.config)
      txs += params.payload.transactions.length
      try {
        const { block, hashMatches } = payloadToBlock(params.payload, optsOf(common, params))
        if (valid) {
          count('valid: hash matches')
          if (!hashMatches) failures.push(`${name}: VALID payload, computed hash ${bytesToHex(block.hash())} != ${bytesToHex(params.payload.blockHash)}`)
          // The block's trie-root cache is seeded (validation does not rebuild the tries), with the
          // roots ethereumjs computes independently (checked on a sample: @ethereumjs/mpt is slow).
          const cache = (block as unknown as { cache: { txTrieRoot?: Uint8Array } }).cache
          if (cache.txTrieRoot === undefined || !equalsBytes(cache.txTrieRoot, block.header.transactionsTrie)) failures.push(`${name}: transactions root not cached`)
          if (params.payload.transactions.length > 0 && checkedRoots++ < 25) {
            const independent = await genTransactionsTrieRoot(block.transactions, new MerklePatriciaTrie({ common: block.common }))
            if (!equalsBytes(independent, block.header.transactionsTrie)) failures.push(`${name}: transactions root differs from @ethereumjs/mpt's`)
          }
          // The RLP remembered from the payload's bytes (sent to the parallel executor's workers) is the block's encoding.
          if (!equalsBytes(blockRlp(block), block.serialize())) failures.push(`${name}: remembered block RLP differs from block.serialize()`)
          // The stored body is cut from those bytes (the list after the header).
          if (!equalsBytes(blockBodyRlp(block), RLP.encode(block.raw().slice(1) as never))) failures.push(`${name}: body cut from the remembered RLP differs from its encoding`)
          if (params.payload.transactions.some((tx) => tx[0]! >= 0xc0)) count('valid: has legacy transactions')
          const back = encodeExecutionPayload(NEW_PAYLOAD_STRUCTURE[version], blockToPayload(block))
          if (!isDeepStrictEqual(back, np.params[0])) failures.push(`${name}: blockToPayload does not give the payload back`)
          if (version >= 3 && !isDeepStrictEqual(versionedHashesOf(block).map(toData), np.params[1])) failures.push(`${name}: versioned hashes differ`)
          const body = encodePayloadBody(1, blockToPayloadBody(block))
          const json = np.params[0] as { transactions: unknown; withdrawals?: unknown }
          if (!isDeepStrictEqual(body, { transactions: json.transactions, withdrawals: json.withdrawals ?? null })) failures.push(`${name}: body differs`)
          if (params.payload.transactions.some((tx) => tx[0] === 3)) samples.blob ??= fp
          if (version === 2 && params.payload.withdrawals !== undefined && params.payload.withdrawals.length > 0) samples.shanghai ??= fp
          if (version === 4 && params.payload.transactions.length > 0) samples.prague ??= fp
          samples.valid ??= fp
        } else {
          count(`invalid: built, hash ${hashMatches ? 'matches' : 'mismatch'}`)
        }
      } catch (err) {
        if (!valid && err instanceof InvalidPayloadError) count(`invalid: InvalidPayloadError (${err.reason}, hash ${err.hashMatches ? 'matches' : 'mismatch'})`)
        else failures.push(`${name}: ${valid ? 'VALID' : 'INVALID'} payload threw ${(err as Error).constructor.name}: ${(err as Error).message}`)
      }
    }
    const ms = performance.now() - started
    console.log(`# engine fixtures: payloadToBlock outcomes ${JSON.stringify(outcome)}; ${txs} txs in ${ms.toFixed(0)} ms`)
    t.same(failures, [], 'every VALID payload hash-matches and round-trips; no untyped failure')
    if (suite.source === 'shared') {
      t.ok((outcome['valid: hash matches'] ?? 0) > 400, 'the shared suite has its VALID payloads')
      t.ok(samples.valid && samples.blob && samples.shanghai && samples.prague, 'found sample payloads for the unit tests')
    } else t.ok((outcome['valid: hash matches'] ?? 0) > 0, 'the vendored subset has VALID payloads')
    t.end()
  })
}

// ---- the ordered trie and the requests commitment ----

t.test('orderedTrieRoot equals an ethereumjs trie over rlp(i) keys', async (t) => {
  let seed = 7
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (const n of [0, 1, 2, 3, 15, 16, 17, 127, 128, 129, 255, 256, 300, 1100]) {
    const values = Array.from({ length: n }, () => Uint8Array.from({ length: 1 + Math.floor(rand() * 60) }, () => Math.floor(rand() * 256)))
    const trie = new MerklePatriciaTrie()
    for (const [i, v] of values.entries()) await trie.put(RLP.encode(i), v)
    t.equal(bytesToHex(orderedTrieRoot(values)), bytesToHex(trie.root()), `${n} values`)
  }
})

t.test('requestsHash follows EIP-7685', (t) => {
  t.ok(equalsBytes(requestsHash([]), SHA256_NULL), 'no requests: sha256 of nothing')
  const a = Uint8Array.of(0, 1, 2)
  const b = Uint8Array.of(2, 9)
  t.ok(equalsBytes(requestsHash([a, b]), sha256(concatBytes(sha256(a), sha256(b)))), 'sha256 over the sha256 of each')
  t.ok(equalsBytes(requestsHash([a, Uint8Array.of(1), b]), requestsHash([a, b])), 'requests without data are left out')
  t.end()
})

// ---- hand-made failures, from fixture payloads ----

function sample(t: Test, which: keyof typeof samples): { fp: FixturePayload; params: NewPayloadParams; opts: PayloadToBlockOptions } | undefined {
  const fp = samples[which]
  if (fp === undefined) {
    t.comment(`no ${which} sample (fixtures missing)`)
    return undefined
  }
  const params = decodeNewPayloadParams(fp.version, fp.np.params)
  return { fp, params, opts: optsOf(commonForFixtureNetwork(fp.tc.network, parallaxCryptoWithKzg(), fp.tc.config), params) }
}

t.test('an undecodable transaction is InvalidPayloadError, with the hash verdict', (t) => {
  const s = sample(t, 'prague')
  if (s === undefined) return t.end()
  const bad: ExecutionPayload = { ...s.params.payload, transactions: [Uint8Array.of(2, 0xc0), ...s.params.payload.transactions.slice(1)] }
  const err = caught(() => payloadToBlock(bad, s.opts))
  t.ok(err instanceof InvalidPayloadError, 'InvalidPayloadError')
  const e = err as InvalidPayloadError
  t.equal(e.reason, 'transaction')
  t.match(e.message, /^transaction 0: cannot decode: /)
  t.equal(e.hashMatches, false, 'the changed transactions root changes the hash')
  t.ok(e.computedHash?.length === 32, 'the computed hash comes with the error')
  // The same payload with the hash that its (bad) fields give: the hash matches, the block is INVALID.
  const err2 = caught(() => payloadToBlock({ ...bad, blockHash: e.computedHash! }, s.opts))
  t.ok(err2 instanceof InvalidPayloadError && err2.hashMatches === true, 'hash matches, transaction still invalid')
  const empty = caught(() => payloadToBlock({ ...bad, transactions: [new Uint8Array()] }, s.opts))
  t.ok(empty instanceof InvalidPayloadError && empty.reason === 'transaction', 'an empty transaction is invalid')
  const legacyJunk = caught(() => payloadToBlock({ ...bad, transactions: [Uint8Array.of(0xc1, 0x80)] }, s.opts))
  t.ok(legacyJunk instanceof InvalidPayloadError, 'a short legacy list is invalid')
  t.end()
})

t.test('a header ethereumjs refuses is InvalidPayloadError(header)', (t) => {
  const s = sample(t, 'valid')
  if (s === undefined) return t.end()
  const err = caught(() => payloadToBlock({ ...s.params.payload, extraData: new Uint8Array(33) }, s.opts))
  t.ok(err instanceof InvalidPayloadError && err.reason === 'header' && err.hashMatches === undefined, `33-byte extraData: ${(err as Error).message}`)
  t.end()
})

t.test('fields that do not fit the fork are InvalidParamsError', (t) => {
  const sh = sample(t, 'shanghai')
  const pr = sample(t, 'prague')
  if (sh === undefined || pr === undefined) return t.end()
  const noWithdrawals: ExecutionPayload = { ...sh.params.payload }
  delete noWithdrawals.withdrawals
  t.match(forkFieldMismatch(noWithdrawals, sh.opts), /^withdrawals: required under shanghai/, 'a V1 payload at a Shanghai timestamp')
  t.ok(caught(() => payloadToBlock(noWithdrawals, sh.opts)) instanceof InvalidParamsError, 'payloadToBlock refuses it')
  t.match(forkFieldMismatch({ ...sh.params.payload, blobGasUsed: 0n }, sh.opts), /^blobGasUsed: not allowed under shanghai/, 'blob fields before Cancun')
  t.match(forkFieldMismatch(sh.params.payload, { ...sh.opts, parentBeaconBlockRoot: new Uint8Array(32) }), /^parentBeaconBlockRoot: not allowed/, 'beacon root before Cancun')
  const { executionRequests: _omit, ...noRequests } = pr.opts
  t.match(forkFieldMismatch(pr.params.payload, noRequests), /^executionRequests: required under prague/, 'Prague without requests')
  t.equal(forkFieldMismatch(pr.params.payload, pr.opts), undefined, 'a fitting payload')
  t.end()
})

t.test('blob transactions need a Common with KZG (our fault, not INVALID)', (t) => {
  const s = sample(t, 'blob')
  if (s === undefined) return t.end()
  const bare = commonForFixtureNetwork(s.fp.tc.network, undefined, s.fp.tc.config)
  const err = caught(() => payloadToBlock(s.params.payload, { ...s.opts, common: bare }))
  t.ok(err instanceof ParallaxError && err.code === 'KZG_MISSING', 'KZG_MISSING')
  t.notOk(err instanceof InvalidPayloadError, 'not an invalid payload')
  t.ok(versionedHashesOf(payloadToBlock(s.params.payload, s.opts).block).length > 0, 'with KZG: versioned hashes come out')
  t.end()
})

t.test('Amsterdam: blockAccessList and slotNumber go into the header', (t) => {
  const s = sample(t, 'prague')
  if (s === undefined) return t.end()
  const common = commonForFixtureNetwork('Amsterdam', parallaxCryptoWithKzg())
  const bal = Uint8Array.of(0xc0)
  const payload: ExecutionPayload = { ...s.params.payload, transactions: [], blockAccessList: bal, slotNumber: 42n }
  const opts = { ...s.opts, common }
  const first = payloadToBlock(payload, opts)
  t.equal(first.hashMatches, false, 'the Prague hash does not fit an Amsterdam header')
  t.equal(first.block.header.slotNumber, 42n, 'slotNumber in the header')
  t.equal(bytesToHex(first.block.header.blockAccessListHash!), '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347', 'BAL hash = keccak256(rlp(bal))')
  const fixed = { ...payload, blockHash: first.block.hash() }
  const { block, hashMatches } = payloadToBlock(fixed, opts)
  t.ok(hashMatches, 'with the computed hash it matches')
  const back = blockToPayload(block, { blockAccessList: bal })
  t.same(encodeExecutionPayload(4, back), encodeExecutionPayload(4, fixed), 'ExecutionPayloadV4 comes back')
  t.equal(blockToPayload(block).blockAccessList, undefined, 'without extras no BAL')
  const wrong = caught(() => blockToPayload(block, { blockAccessList: Uint8Array.of(0xc1, 0x80) }))
  t.ok(wrong instanceof ParallaxError && wrong.code === 'BAL_MISMATCH', 'a BAL that does not match the header is our bug')
  t.match(forkFieldMismatch({ ...fixed, slotNumber: undefined }, opts), /^slotNumber: required under amsterdam/, 'slotNumber required')
  t.same(encodePayloadBody(2, blockToPayloadBody(block, { blockAccessList: bal })).blockAccessList, '0xc0', 'V2 body carries the BAL')
  t.end()
})
