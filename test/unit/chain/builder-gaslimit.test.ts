// --miner.gaslimit and --miner.extradata in the payload builder: each built block moves the parent's
// gas limit toward the target by at most parent/1024 - 1 (geth's CalcGasLimit), up or down, then
// stays there; attributes that name a target (Amsterdam's targetGasLimit) win; extra data lands.
import t from 'tap'
import { hexToBytes, privateToAddress, bytesToHex } from '@ethereumjs/util'
import pino from 'pino'
import { commonFromGenesis, genesisBlock, parseGenesis, writeGenesisState } from '../../../config/index.ts'
import { PayloadBuilder } from '../../../src/chain/builder.ts'
import { Chain } from '../../../src/chain/chain.ts'
import { initGenesis } from '../../../src/chain/genesis.ts'
import { MemoryKV } from '../../../src/db/memory.ts'
import { gasLimitToward, type PayloadAttributes } from '../../../src/exec/build.ts'
import { SequentialExecutor } from '../../../src/exec/sequential.ts'

const silent = pino({ level: 'silent' })
const SENDER = bytesToHex(privateToAddress(hexToBytes('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')))

async function chainAt(gasLimit: bigint): Promise<Chain> {
  const spec = parseGenesis({
    config: {
      chainId: 1337, homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0, constantinopleBlock: 0, petersburgBlock: 0,
      istanbulBlock: 0, berlinBlock: 0, londonBlock: 0, mergeNetsplitBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0,
    },
    gasLimit: `0x${gasLimit.toString(16)}`, difficulty: '0x0', timestamp: '0x0', extraData: '0x',
    alloc: { [SENDER]: { balance: '0x3635c9adc5dea00000' } },
  })
  const common = commonFromGenesis(spec)
  const kv = new MemoryKV()
  await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  return Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
}

/** Builds and imports `n` blocks; the gas limits of the built blocks. */
async function buildBlocks(chain: Chain, builder: PayloadBuilder, n: number, extra: Partial<PayloadAttributes> = {}): Promise<{ limits: bigint[]; extra: Uint8Array[] }> {
  const limits: bigint[] = []
  const extras: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const parent = chain.head
    const id = builder.start(parent, { timestamp: parent.timestamp + 12n, feeRecipient: new Uint8Array(20), prevRandao: new Uint8Array(32), withdrawals: [], ...extra }, 2)
    const built = await builder.get(id)
    const res = await chain.insertBlock(built!.block, { setHead: true })
    t.equal(res.status, 'imported')
    limits.push(built!.block.header.gasLimit)
    extras.push(built!.block.header.extraData)
  }
  return { limits, extra: extras }
}

t.test('down toward a lower --miner.gaslimit by parent/1024 - 1 per block, with --miner.extradata', async (t) => {
  const chain = await chainAt(60_000_000n)
  const builder = new PayloadBuilder({ chain, logger: silent, gasLimit: 30_000_000n, extraData: new TextEncoder().encode('px') })
  t.teardown(() => builder.close())
  const { limits, extra } = await buildBlocks(chain, builder, 3)
  let parent = 60_000_000n
  for (const l of limits) {
    t.equal(l, parent - (parent / 1024n - 1n), `${parent} → ${l}`)
    parent = l
  }
  t.same(extra.map((e) => new TextDecoder().decode(e)), ['px', 'px', 'px'])
})

t.test('up toward a higher target, reaching it exactly and staying', async (t) => {
  const start = 30_000_000n
  const target = start + 2n * (start / 1024n - 1n) + 5n // the second step (from a higher parent) overshoots it: capped there
  const chain = await chainAt(start)
  const builder = new PayloadBuilder({ chain, logger: silent, gasLimit: target })
  t.teardown(() => builder.close())
  const { limits } = await buildBlocks(chain, builder, 4)
  const step1 = start + (start / 1024n - 1n)
  const step2 = step1 + (step1 / 1024n - 1n)
  t.same(limits, [step1, step2 < target ? step2 : target, target, target])
  t.equal(limits[2], target, 'reached')
})

t.test('without a target the parent limit is kept; a target in the attributes wins over the flag', async (t) => {
  const chain = await chainAt(30_000_000n)
  const plain = new PayloadBuilder({ chain, logger: silent })
  t.teardown(() => plain.close())
  t.same((await buildBlocks(chain, plain, 1)).limits, [30_000_000n])
  const flagged = new PayloadBuilder({ chain, logger: silent, gasLimit: 60_000_000n })
  t.teardown(() => flagged.close())
  t.same((await buildBlocks(chain, flagged, 1, { targetGasLimit: 10_000_000n })).limits, [gasLimitToward(30_000_000n, 10_000_000n)])
  t.ok(gasLimitToward(30_000_000n, 10_000_000n) < 30_000_000n, 'moved down, toward the attributes\' target')
})
