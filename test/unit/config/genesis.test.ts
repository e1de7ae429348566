// config/: geth genesis parsing, Common construction, genesis state + block, presets, fixture networks.
// The fixture sweep checks the genesis hash and state root of every blockchain fixture case.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBlockHeader } from '@ethereumjs/block'
import { Hardfork, Mainnet } from '@ethereumjs/common'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, hexToBytes, privateToAddress } from '@ethereumjs/util'
import {
  GenesisError,
  UnknownNetworkError,
  commonForFixtureNetwork,
  commonFromGenesis,
  genesisBlock,
  genesisStateRoot,
  loadGenesisFile,
  loadPreset,
  parseGenesis,
  writeGenesisState,
} from '../../../config/index.ts'
import type { GenesisSpec } from '../../../config/index.ts'
import { MemoryKV, Overlay } from '../../../src/db/index.ts'
import { genesisSpecFromFixture, isFixtureGenesisCase } from '../../helpers/fixture-genesis.ts'
import { jsonFiles, locateSuite, reportMissing } from '../../helpers/fixtures.ts'

const MAINNET_GENESIS_HASH = '0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3'
const MAINNET_STATE_ROOT = '0xd7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544'
const ZERO32 = `0x${'00'.repeat(32)}`

async function genesisHash(spec: GenesisSpec, common: Common = commonFromGenesis(spec)): Promise<string> {
  return bytesToHex(genesisBlock(spec, common, await genesisStateRoot(spec)).hash())
}

/** A minimal valid genesis, with `config` and top-level fields overridable. */
function genesisJson(config: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return { config: { chainId: 7, ...config }, gasLimit: '0x1c9c380', difficulty: '0x0', alloc: {}, ...top }
}

function genesisErrorOf(fn: () => unknown): GenesisError | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof GenesisError) return err
    throw err
  }
  return undefined
}

/** Blob gas schedule as a block header at (number, timestamp) sees it. */
function blobScheduleAt(common: Common, number: bigint, timestamp: bigint): [bigint, bigint, bigint] {
  const c = common.copy()
  c.setHardforkBy({ blockNumber: number, timestamp })
  const header = createBlockHeader({ number, timestamp, gasLimit: 30_000_000n }, { common: c })
  const s = header.common.getBlobGasSchedule()
  return [s.targetBlobGasPerBlock / 131072n, s.maxBlobGasPerBlock / 131072n, s.blobGasPriceUpdateFraction]
}

t.test('mainnet preset: genesis hash, state root and fork schedule', async (t) => {
  const spec = loadPreset('mainnet')
  t.equal(spec.alloc.size, 8893, 'mainnet alloc from @ethereumjs/genesis')
  const common = commonFromGenesis(spec)
  const root = await genesisStateRoot(spec)
  t.equal(bytesToHex(root), MAINNET_STATE_ROOT)
  t.equal(bytesToHex(genesisBlock(spec, common, root).hash()), MAINNET_GENESIS_HASH)
  t.equal(common.hardfork(), Hardfork.Chainstart)
  t.equal(common.chainId(), 1n)
  for (const hf of Mainnet.hardforks) {
    if (hf.name === Hardfork.MergeNetsplitBlock || (hf.block === null && hf.timestamp === undefined)) continue
    const at = hf.timestamp !== undefined ? common.hardforkTimestamp(hf.name) : common.hardforkBlock(hf.name)
    t.equal(at, BigInt(hf.timestamp ?? hf.block ?? -1), `${hf.name} as in @ethereumjs/common's Mainnet`)
  }
  t.equal(common.getHardforkBy({ blockNumber: 15537393n, timestamp: 1663224162n }), Hardfork.GrayGlacier)
  t.equal(common.getHardforkBy({ blockNumber: 15537394n, timestamp: 1663224179n }), Hardfork.Paris)
  t.equal(common.getHardforkBy({ blockNumber: 17034870n, timestamp: 1681338455n }), Hardfork.Shanghai)
  t.same(blobScheduleAt(common, 24000000n, 1765290071n), [10n, 15n, 8346193n], 'bpo1 blob schedule')
})

const SUITES = [
  'fselmo-fixtures_eest/blockchain_tests',
  'fselmo-fixtures_eest/blockchain_tests_engine',
  'ethereum-tests/BlockchainTests',
]

for (const rel of SUITES) {
  t.test(`fixture genesis hashes and state roots: ${rel}`, async (t) => {
    const suite = locateSuite(rel)
    if (suite === undefined) {
      reportMissing(rel)
      t.pass('suite absent')
      return
    }
    const files = jsonFiles(suite.path)
    const failures: string[] = []
    const networks = new Map<string, number>()
    let cases = 0
    for (const file of files) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
      for (const [name, testCase] of Object.entries(json)) {
        if (!isFixtureGenesisCase(testCase)) continue
        cases++
        networks.set(testCase.network, (networks.get(testCase.network) ?? 0) + 1)
        const where = `${relative(suite.path, file)} ${name}`
        try {
          const spec = genesisSpecFromFixture(testCase)
          const common = commonForFixtureNetwork(testCase.network, undefined, testCase.config)
          const root = bytesToHex(await genesisStateRoot(spec))
          const hash = bytesToHex(genesisBlock(spec, common, hexToBytes(root as `0x${string}`)).hash())
          const want = testCase.genesisBlockHeader
          if (root !== want['stateRoot']) failures.push(`${where}: stateRoot ${root} != ${String(want['stateRoot'])}`)
          else if (hash !== want['hash']) failures.push(`${where}: hash ${hash} != ${String(want['hash'])}`)
        } catch (err) {
          failures.push(`${where}: ${(err as Error).message}`)
        }
      }
    }
    const byNetwork = [...networks].map(([n, c]) => `${n} ${c}`).join(', ')
    t.comment(`${rel} (${suite.source}): ${cases} cases in ${files.length} files, ${cases - failures.length} match (${byNetwork})`)
    t.ok(cases > 0, 'the suite has blockchain test cases')
    t.same(failures, [], 'every genesis hash and state root matches')
  })
}

t.test('rpc-compat genesis hash is the parent of the first block of chain.rlp', async (t) => {
  const rel = 'ethereum-execution-apis/tests'
  const suite = locateSuite(rel)
  if (suite === undefined) {
    reportMissing(rel)
    t.pass('suite absent')
    return
  }
  const spec = loadGenesisFile(join(suite.path, 'genesis.json'))
  const chain = new Uint8Array(readFileSync(join(suite.path, 'chain.rlp')))
  const first = RLP.decode(chain, true).data as unknown as Uint8Array[][]
  const parentHash = bytesToHex(first[0]![0]!)
  t.equal(await genesisHash(spec), parentHash)
  t.equal(spec.config.chainId, 3503995874084926n)

  const common = commonFromGenesis(spec)
  t.equal(common.hardfork(), Hardfork.Homestead, 'genesis fork')
  const at = (n: bigint, ts: bigint): string => common.getHardforkBy({ blockNumber: n, timestamp: ts })
  t.equal(at(5n, 50n), Hardfork.TangerineWhistle)
  t.equal(at(6n, 60n), Hardfork.SpuriousDragon)
  t.equal(at(27n, 270n), Hardfork.London)
  t.equal(at(35n, 350n), Hardfork.GrayGlacier)
  t.equal(at(36n, 360n), Hardfork.Paris, 'merge at mergeNetsplitBlock (the chain\'s first difficulty-0 block)')
  t.equal(at(38n, 389n), Hardfork.Paris)
  t.equal(at(39n, 390n), Hardfork.Shanghai)
  t.equal(at(42n, 420n), Hardfork.Cancun)
  t.equal(at(45n, 450n), Hardfork.Prague)
  t.equal(at(48n, 480n), Hardfork.Osaka)
  t.equal(at(51n, 510n), Hardfork.Bpo1)
  t.equal(at(54n, 540n), Hardfork.Bpo2)
  t.same(blobScheduleAt(common, 42n, 420n), [3n, 6n, 3338477n], 'cancun blobs')
  t.same(blobScheduleAt(common, 45n, 450n), [6n, 9n, 5007716n], 'prague blobs')
  t.same(blobScheduleAt(common, 48n, 480n), [6n, 9n, 5007716n], 'osaka blobs')
  t.same(blobScheduleAt(common, 51n, 510n), [10n, 15n, 8346193n], 'bpo1 blobs')
  t.same(blobScheduleAt(common, 54n, 540n), [14n, 21n, 11684671n], 'bpo2 blobs')
})

t.test('dev preset', async (t) => {
  const spec = loadPreset('dev')
  const common = commonFromGenesis(spec)
  t.equal(spec.config.chainId, 1337n)
  t.ok(spec.gasLimit >= 30_000_000n, 'gas limit at least 30M')
  t.equal(common.hardfork(), Hardfork.Prague, 'Prague at genesis')
  t.ok(common.gteHardfork(Hardfork.Paris) && common.isActivatedEIP(7002) && common.isActivatedEIP(2935))

  const overlay = new Overlay(new MemoryKV())
  const root = await writeGenesisState(spec, overlay)
  t.ok(overlay.size > 0, 'state written into the overlay')
  t.same(root, await genesisStateRoot(spec), 'writeGenesisState and genesisStateRoot agree')
  const block = genesisBlock(spec, common, root)
  t.equal(bytesToHex(block.header.requestsHash!), '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  t.equal(bytesToHex(block.header.parentBeaconBlockRoot!), ZERO32)
  t.equal(block.header.baseFeePerGas, 1_000_000_000n)
  t.equal(block.header.excessBlobGas, 0n)
  t.same(blobScheduleAt(common, 1n, 12n), [6n, 9n, 5007716n])

  for (const system of [
    '0x000f3df6d732807ef1319fb7b8bb8522d0beac02',
    '0x0000f90827f1c53a10cb7a02335b175320002935',
    '0x00000961ef480eb55e80d19ad83579a64c007002',
    '0x0000bbddc7ce488642fb579f8b00f3a590007251',
  ] as const) {
    const account = spec.alloc.get(system)
    t.ok(account !== undefined && account.code.length > 0 && account.nonce === 1n, `system contract ${system}`)
  }

  const doc = readFileSync(fileURLToPath(new URL('../../../config/presets/dev-accounts.md', import.meta.url)), 'utf8')
  const rows = [...doc.matchAll(/\|\s*\d+\s*\|\s*(0x[0-9a-fA-F]{40})\s*\|\s*(0x[0-9a-fA-F]{64})\s*\|/g)]
  t.equal(rows.length, 10, 'ten documented accounts')
  for (const [, address, key] of rows) {
    const derived = bytesToHex(privateToAddress(hexToBytes(key as `0x${string}`)))
    t.equal(derived, address!.toLowerCase(), `key derives ${address}`)
    t.equal(spec.alloc.get(derived)?.balance, 10_000n * 10n ** 18n, `${address} holds 10000 ETH`)
  }
})

t.test('parseGenesis: accepted forms', async (t) => {
  const spec = parseGenesis({
    config: { chainId: '3503995874084926123', homesteadBlock: '0x0', eip150Block: 0, eip155Block: '0', eip158Block: 0 },
    gasLimit: 30000000,
    timestamp: '0x10',
    difficulty: '131072',
    nonce: '0x0000000000000042',
    extraData: 'abcd',
    alloc: {
      '00000000000000000000000000000000000000AB': { balance: '1000', code: '6000', storage: { '0x1': '0x02', '0x2': '0x0' } },
      '0x00000000000000000000000000000000000000cd': { balance: '0x10', nonce: 3 },
    },
  })
  t.equal(spec.config.chainId, 3503995874084926123n, 'decimal chainId above 2^53 kept exactly')
  t.equal(spec.gasLimit, 30_000_000n)
  t.equal(spec.timestamp, 16n)
  t.equal(spec.difficulty, 131072n)
  t.equal(spec.nonce, 0x42n)
  t.equal(bytesToHex(spec.extraData), '0xabcd')
  const ab = spec.alloc.get('0x00000000000000000000000000000000000000ab')
  t.equal(ab?.balance, 1000n, 'address without 0x, upper case')
  t.equal(bytesToHex(ab!.code), '0x6000')
  t.equal(ab?.storage.get(`0x${'00'.repeat(31)}01`), 2n, 'short storage key left-padded')
  t.equal(spec.alloc.get('0x00000000000000000000000000000000000000cd')?.nonce, 3n)
  t.equal(spec.baseFeePerGas, undefined)
  t.equal(spec.config.eip158Block, 0n)
})

t.test('parseGenesis: errors name the field', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['missing chainId', { config: {}, gasLimit: 1, alloc: {} }, 'config.chainId'],
    ['chainId not a number', genesisJson({ chainId: 'abc' }), 'config.chainId'],
    ['bad hex quantity', genesisJson({}, { gasLimit: '0xzz' }), 'gasLimit'],
    ['bad hex bytes', genesisJson({}, { extraData: '0x12g4' }), 'extraData'],
    ['odd hex bytes', genesisJson({}, { extraData: '0xabc' }), 'extraData'],
    ['short mixHash', genesisJson({}, { mixHash: '0x1234' }), 'mixHash'],
    ['bad coinbase', genesisJson({}, { coinbase: '0x1234' }), 'coinbase'],
    ['bad alloc address', genesisJson({}, { alloc: { '0x1234': { balance: '1' } } }), 'alloc.0x1234'],
    ['alloc without balance', genesisJson({}, { alloc: { ['0x' + '11'.repeat(20)]: {} } }), `alloc.0x${'11'.repeat(20)}.balance`],
    ['bad storage value', genesisJson({}, { alloc: { ['0x' + '11'.repeat(20)]: { balance: '0', storage: { '0x1': 'zz' } } } }), `alloc.0x${'11'.repeat(20)}.storage.0x1`],
    ['bad deposit address', genesisJson({ depositContractAddress: '0x12' }), 'config.depositContractAddress'],
    ['negative number', genesisJson({ homesteadBlock: -1 }), 'config.homesteadBlock'],
    ['unsafe JSON number', genesisJson({ chainId: 2 ** 60 }), 'config.chainId'],
    ['fork gap', genesisJson({ homesteadBlock: 0, londonBlock: 0 }), 'config.londonBlock'],
    ['eip155 != eip158', genesisJson({ homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 1 }), 'config.eip158Block'],
    ['blob schedule unknown fork', genesisJson({ blobSchedule: { fusaka: { target: 1, max: 2, baseFeeUpdateFraction: 3 } } }), 'config.blobSchedule.fusaka'],
    ['blob schedule bad target', genesisJson({ blobSchedule: { cancun: { target: 'x', max: 2, baseFeeUpdateFraction: 3 } } }), 'config.blobSchedule.cancun.target'],
    ['missing alloc', { config: { chainId: 1 }, gasLimit: 1 }, 'alloc'],
  ]
  for (const [what, json, field] of cases) {
    const err = genesisErrorOf(() => parseGenesis(json))
    t.equal(err?.field, field, what)
    t.match(err?.message ?? '', new RegExp(`^genesis: ${field.replace(/[.]/g, '\\.')}: `), `${what}: message names the field`)
  }
  t.equal(
    genesisErrorOf(() => parseGenesis(genesisJson({ chainId: 'abc' })))?.message,
    'genesis: config.chainId: expected a number, got "abc"',
  )
  const postMerge = { homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0, constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0 }
  t.equal(genesisErrorOf(() => parseGenesis(genesisJson({ ...postMerge, terminalTotalDifficulty: 100, shanghaiTime: 0 })))?.field, 'config.shanghaiTime', 'Shanghai without a placeable merge')
  t.equal(genesisErrorOf(() => parseGenesis(genesisJson({ ...postMerge, terminalTotalDifficulty: 0, shanghaiTime: 0, cancunTime: 0, pragueTime: 0, osakaTime: 0, bpo1Time: 10 })))?.field, 'config.blobSchedule.bpo1', 'BPO fork needs a blobSchedule entry')
})

t.test('commonFromGenesis: blobSchedule from the genesis, forks by timestamp', async (t) => {
  const spec = parseGenesis(genesisJson({
    homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0, constantinopleBlock: 0,
    petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0, terminalTotalDifficulty: 0,
    shanghaiTime: 0, cancunTime: 100, pragueTime: 200, osakaTime: 300, bpo1Time: 400, bpo3Time: 500,
    blobSchedule: {
      Cancun: { target: '0x1', max: '0x2', baseFeeUpdateFraction: '1000' },
      prague: { target: 2, max: 4, baseFeeUpdateFraction: 2000 },
      bpo1: { target: 5, max: 7, baseFeeUpdateFraction: 3000 },
      bpo3: { target: 8, max: 12, baseFeeUpdateFraction: 4000 },
    },
  }, { timestamp: 50 }))
  const common = commonFromGenesis(spec)
  t.equal(common.hardfork(), Hardfork.Shanghai)
  t.same(blobScheduleAt(common, 1n, 100n), [1n, 2n, 1000n], 'cancun')
  t.same(blobScheduleAt(common, 2n, 200n), [2n, 4n, 2000n], 'prague')
  t.same(blobScheduleAt(common, 3n, 300n), [2n, 4n, 2000n], 'osaka inherits prague')
  t.same(blobScheduleAt(common, 4n, 400n), [5n, 7n, 3000n], 'bpo1')
  t.same(blobScheduleAt(common, 5n, 500n), [8n, 12n, 4000n], 'bpo3')
  const block = genesisBlock(spec, common, await genesisStateRoot(spec))
  t.equal(block.header.withdrawalsRoot !== undefined && block.header.excessBlobGas === undefined, true, 'Shanghai genesis fields only')
})

t.test('commonForFixtureNetwork', async (t) => {
  const at = (network: string, n: bigint, ts: bigint): string => commonForFixtureNetwork(network).getHardforkBy({ blockNumber: n, timestamp: ts })
  t.equal(commonForFixtureNetwork('Cancun').chainId(), 1n)
  t.equal(at('Frontier', 0n, 0n), Hardfork.Chainstart)
  t.equal(at('Homestead', 0n, 0n), Hardfork.Homestead)
  t.equal(at('Constantinople', 10n, 0n), Hardfork.Constantinople, 'Constantinople without Petersburg')
  t.equal(at('ConstantinopleFix', 0n, 0n), Hardfork.Petersburg)
  t.equal(at('London', 0n, 0n), Hardfork.London)
  t.equal(at('Merge', 0n, 0n), Hardfork.Paris)
  t.equal(at('Prague', 0n, 0n), Hardfork.Prague)
  t.equal(at('Osaka', 0n, 0n), Hardfork.Osaka)
  t.equal(at('BerlinToLondonAt5', 4n, 0n), Hardfork.Berlin)
  t.equal(at('BerlinToLondonAt5', 5n, 0n), Hardfork.London)
  t.equal(at('ParisToShanghaiAtTime15k', 1n, 14_999n), Hardfork.Paris)
  t.equal(at('ParisToShanghaiAtTime15k', 2n, 15_000n), Hardfork.Shanghai)
  t.equal(at('ShanghaiToCancunAtTime15k', 2n, 15_000n), Hardfork.Cancun)
  t.equal(at('CancunToPragueAtTime15k', 1n, 14_999n), Hardfork.Cancun)
  t.equal(at('CancunToPragueAtTime15k', 2n, 15_000n), Hardfork.Prague)
  t.equal(at('PragueToOsakaAtTime15k', 2n, 15_000n), Hardfork.Osaka)
  t.same(blobScheduleAt(commonForFixtureNetwork('Cancun'), 1n, 12n), [3n, 6n, 3338477n])
  const given = { blobSchedule: { Prague: { target: '0x02', max: '0x03', baseFeeUpdateFraction: '0x10' } } }
  t.same(blobScheduleAt(commonForFixtureNetwork('Prague', undefined, given), 1n, 12n), [2n, 3n, 16n], 'fixture blobSchedule wins')
  t.same(commonForFixtureNetwork('OsakaToBPO1AtTime15k').getBlobGasSchedule(), {
    targetBlobGasPerBlock: 6n * 131072n, maxBlobGasPerBlock: 9n * 131072n, blobGasPriceUpdateFraction: 5007716n,
  }, 'a bare Common (no package params) answers getBlobGasSchedule')
  t.throws(() => commonForFixtureNetwork('Byzantium2'), UnknownNetworkError)
  t.throws(() => commonForFixtureNetwork('CancunToPragueAt5'), UnknownNetworkError, 'timestamp fork by block')
})

t.test('Amsterdam genesis carries the EIP-7928 and EIP-7843 header fields', async (t) => {
  const common = commonForFixtureNetwork('Amsterdam')
  const spec = genesisSpecFromFixture({
    network: 'Amsterdam',
    genesisBlockHeader: { gasLimit: '0x1c9c380', difficulty: '0x0', timestamp: '0x0' },
    pre: {},
  })
  const block = genesisBlock(spec, common, await genesisStateRoot(spec))
  t.equal(common.hardfork(), Hardfork.Amsterdam)
  t.equal(bytesToHex(block.header.blockAccessListHash!), '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347', 'keccak256(rlp([]))')
  t.equal(block.header.slotNumber, 0n)
  t.equal(bytesToHex(block.header.requestsHash!), '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
})

t.test('loadGenesisFile: unreadable files name the path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-genesis-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const missing = join(dir, 'missing.json')
  t.equal(genesisErrorOf(() => loadGenesisFile(missing))?.field, missing)
  const broken = join(dir, 'broken.json')
  writeFileSync(broken, '{"config": ')
  const err = genesisErrorOf(() => loadGenesisFile(broken))
  t.equal(err?.field, broken)
  t.match(err?.message ?? '', /invalid JSON/)
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, JSON.stringify(genesisJson({ chainId: 'abc' })))
  const badErr = genesisErrorOf(() => loadGenesisFile(bad))
  t.equal(badErr?.field, 'config.chainId')
  t.match(badErr?.message ?? '', bad)
})
