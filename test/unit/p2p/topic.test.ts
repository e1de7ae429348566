import t from 'tap'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@ethereumjs/util'
import { commonFromGenesis, loadPreset } from '../../../config/index.ts'
import { blockTopic, forkId, forkScheduleOf, messageId, parseBlockTopic, type ForkSchedule } from '../../../src/p2p/topic.ts'

const G = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const base: ForkSchedule = { genesisHash: G, forkBlocks: [0n, 0n], forkTimes: [0n], genesisTimestamp: 0n }

t.test('fork id: deterministic, 8 hex chars, sensitive to genesis and schedule', async (t) => {
  const id = forkId(base)
  t.match(id, /^[0-9a-f]{8}$/)
  t.equal(forkId({ ...base }), id, 'deterministic')
  const g2 = G.slice()
  g2[31] = 0
  t.not(forkId({ ...base, genesisHash: g2 }), id, 'another genesis, another id')
  t.not(forkId({ ...base, forkTimes: [1_700_000_000n] }), id, 'a scheduled time fork changes it')
  t.not(forkId({ ...base, forkBlocks: [1_000n] }), id, 'a scheduled block fork changes it')
  t.equal(forkId({ ...base, forkBlocks: [0n] }), id, 'forks at genesis do not count (EIP-2124)')
  t.equal(
    forkId({ ...base, forkBlocks: [5n, 3n, 5n], forkTimes: [] }),
    forkId({ ...base, forkBlocks: [3n, 5n], forkTimes: [0n] }),
    'order and duplicates do not matter; times at genesis skipped',
  )
  t.not(forkId({ ...base, forkTimes: [10n] }), forkId({ ...base, forkTimes: [11n] }))
  t.throws(() => forkId({ ...base, genesisHash: new Uint8Array(31) }), RangeError)
})

t.test('fork id of a genesis with no later forks is the CRC32 of the genesis hash (EIP-2124)', async (t) => {
  // Mainnet's genesis hash with no forks passed has fork hash 0xfc64ec04 (EIP-2124 test vector).
  const mainnetGenesis = Uint8Array.from(Buffer.from('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3', 'hex'))
  t.equal(forkId({ genesisHash: mainnetGenesis, forkBlocks: [], forkTimes: [], genesisTimestamp: 0n }), 'fc64ec04')
  t.equal(forkId({ genesisHash: mainnetGenesis, forkBlocks: [1_150_000n], forkTimes: [], genesisTimestamp: 0n }), '97c2c34c', 'Homestead (EIP-2124 vector)')
})

t.test('fork schedule from a Common', async (t) => {
  const common = commonFromGenesis(loadPreset('dev'))
  const s = forkScheduleOf(common, G, 0n)
  t.ok(s.forkBlocks.every((b) => b === 0n), 'dev preset: all block forks at genesis')
  t.equal(forkId(s), forkId({ genesisHash: G, forkBlocks: [], forkTimes: [], genesisTimestamp: 0n }), 'everything at genesis: same as no forks')
  const mainnet = commonFromGenesis(loadPreset('mainnet'))
  const ms = forkScheduleOf(mainnet, G, 0n)
  t.ok(ms.forkBlocks.includes(1_150_000n), 'mainnet schedule includes Homestead')
  t.ok(ms.forkTimes.length > 0, 'and time forks')
})

t.test('topic: build and parse round trip', async (t) => {
  const id = forkId(base)
  const topic = blockTopic(G, id)
  t.equal(topic, `/parallax/01020304/${id}/blocks/rlp`)
  t.same(parseBlockTopic(topic), { genesisPrefix: '01020304', forkId: id, name: 'blocks', encoding: 'rlp' })
  const parsed = parseBlockTopic(topic)!
  t.equal(blockTopic(G, parsed.forkId), topic, 'rebuilds the same name')
})

t.test('topic: malformed names are not ours', async (t) => {
  for (const bad of [
    '',
    '/parallax/01020304/abcdef01/blocks',
    '/parallax/01020304/abcdef01/blocks/ssz',
    '/parallax/01020304/abcdef01/txs/rlp',
    '/eth2/01020304/abcdef01/blocks/rlp',
    '/parallax/0102030/abcdef01/blocks/rlp',
    '/parallax/01020304/ABCDEF01/blocks/rlp',
    '/parallax/01020304/abcdef01/blocks/rlp/',
    'parallax/01020304/abcdef01/blocks/rlp',
    '/parallax/0102030g/abcdef01/blocks/rlp',
  ]) {
    t.equal(parseBlockTopic(bad), undefined, bad)
  }
  t.throws(() => blockTopic(G, 'xyz'), RangeError)
  t.throws(() => blockTopic(new Uint8Array(4), 'abcdef01'), RangeError)
})

t.test('message id: hash of the data', async (t) => {
  const data = new TextEncoder().encode('block')
  t.equal(messageId(data).length, 20)
  t.equal(bytesToHex(messageId(data)), bytesToHex(sha256(data).subarray(0, 20)))
  t.not(bytesToHex(messageId(data)), bytesToHex(messageId(new Uint8Array([1]))))
})
