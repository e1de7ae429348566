// decodeBlock (blocks from a file, gossip and req/resp): transactions decoded with the tx params
// merged once, the transactions root computed from their bytes and left for body validation to
// compare with the header, the RLP remembered.
import t from 'tap'
import { createBlock, createBlockFromRLP } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { decodeBlock } from '../../../src/chain/decode.ts'
import { blockRlp } from '../../../src/exec/block-bytes.ts'
import { validateBody } from '../../../src/exec/validate.ts'
import { InvalidBlockError } from '../../../src/util/errors.ts'
import { benchCommon, generateWorkload } from '../../helpers/workloads/index.ts'

const common = benchCommon()
const txs = [...generateWorkload('erc20/independent', { gas: 1_000_000n, common }).txs, ...generateWorkload('raw-transfers/independent', { gas: 300_000n, common }).txs]
const parent = createBlock({ header: { number: 0n, gasLimit: 30_000_000n, baseFeePerGas: 7n, timestamp: 0n } }, { common })
const header = { number: 1n, parentHash: parent.hash(), gasLimit: 30_000_000n, baseFeePerGas: 7n, timestamp: 12n }

t.test('the same block as ethereumjs decodes, its root checked against the header', async (t) => {
  const good = createBlock({ header, transactions: txs, withdrawals: [] }, { common })
  const rlp = createBlock({ header: { ...header, transactionsTrie: await good.genTxTrie() }, transactions: txs, withdrawals: [] }, { common }).serialize()
  const mine = decodeBlock(rlp, common)
  const theirs = createBlockFromRLP(rlp, { common, setHardfork: true })
  t.equal(bytesToHex(mine.hash()), bytesToHex(theirs.hash()))
  t.same(mine.transactions.map((tx) => [bytesToHex(tx.hash()), tx.getSenderAddress().toString(), tx.gasLimit, tx.common.param('txGas')]), theirs.transactions.map((tx) => [bytesToHex(tx.hash()), tx.getSenderAddress().toString(), tx.gasLimit, tx.common.param('txGas')]), `${txs.length} transactions: same hashes, senders, fields, params`)
  t.ok(await mine.transactionsTrieIsValid(), 'the root from the bytes matches the header')
  await validateBody(mine, parent.header)
  t.equal(blockRlp(mine), rlp, 'the RLP remembered')

  // the same body under a header with another transactions root: rejected by body validation
  const wrong = createBlock({ header: { ...header, transactionsTrie: new Uint8Array(32).fill(9) }, transactions: txs, withdrawals: [] }, { common }).serialize()
  const bad = decodeBlock(wrong, common)
  const err = await validateBody(bad, parent.header).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof InvalidBlockError && err.reason === 'bodyMismatch', `a body that does not match its header is refused (${String(err)})`)
})
