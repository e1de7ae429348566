// eth_feeHistory's last baseFeePerGas entry (and eth_baseFee) is the base fee of the next block: it must
// equal the baseFeePerGas of the payload the node then builds. On chains with London at block 0 (the
// dev chain, every devnet) it used to be 0x0: @ethereumjs/common's hardforkIsActiveOnBlock is false
// for a fork at block 0, so wallets pricing from it sent underpriced transactions.
import t from 'tap'
import { devGenesisJson, hex, randomHash, refOf, sendTx, startHarness, type HeadRef, type Hex } from '../../helpers/engine-harness.ts'

interface FeeHistoryJson {
  oldestBlock: Hex
  baseFeePerGas: Hex[]
  gasUsedRatio: number[]
}

const h = await startHarness(devGenesisJson())
t.teardown(() => h.close())
const { rpc, engine, common } = h

/** The next base fee as eth_feeHistory and eth_baseFee report it, and as the builder then uses it. */
async function nextFees(head: HeadRef): Promise<{ history: bigint; baseFee: bigint; built: bigint }> {
  const fh = (await rpc.call('eth_feeHistory', [hex(1), 'latest', []])) as FeeHistoryJson
  const baseFee = (await rpc.call('eth_baseFee', [])) as Hex | null
  const { env } = await engine.build(head, { timestamp: head.timestamp + 12n, prevRandao: randomHash() })
  return { history: BigInt(fh.baseFeePerGas.at(-1)!), baseFee: baseFee === null ? -1n : BigInt(baseFee), built: BigInt(env.payload.baseFeePerGas) }
}

t.test('the next base fee is the one the node builds with', async (t) => {
  let head = h.genesis
  const atGenesis = await nextFees(head)
  t.not(atGenesis.history, 0n, 'after the genesis block: not 0x0')
  t.equal(atGenesis.history, atGenesis.built, 'after the genesis block: feeHistory = built payload')
  t.equal(atGenesis.baseFee, atGenesis.built, 'after the genesis block: eth_baseFee = built payload')

  // A block above the gas target moves the base fee: feeHistory must follow the builder.
  for (let nonce = 0n; nonce < 40n; nonce++) {
    await sendTx(rpc, common, { key: 1, nonce, to: `0x${'22'.repeat(20)}`, value: 1n, gasLimit: 120_000n, data: `0x${'ff'.repeat(2000)}` as Hex })
  }
  const withTxs = await engine.extend(head, { timestamp: head.timestamp + 12n, prevRandao: randomHash() })
  t.ok(withTxs.payload.transactions.length > 0, 'the block carries transactions')
  head = refOf(withTxs.payload)
  const afterFull = await nextFees(head)
  t.equal(afterFull.history, afterFull.built, 'after a block with transactions: feeHistory = built payload')
  t.equal(afterFull.baseFee, afterFull.built, 'after a block with transactions: eth_baseFee = built payload')
  t.not(afterFull.built, atGenesis.built, 'and the base fee moved')
})
