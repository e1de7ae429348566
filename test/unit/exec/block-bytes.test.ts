// block-bytes.ts: a remembered RLP is what blockRlp gives back, and never a view into a larger buffer
// (it is posted to the workers, and structured clone copies a view's whole buffer: an imported
// file's block would have carried the whole file with it).
import t from 'tap'
import { createBlock, createBlockFromRLP } from '@ethereumjs/block'
import { RLP } from '@ethereumjs/rlp'
import { Common, Mainnet } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import { blockBodyRlp, blockRlp, rememberBlockRlp } from '../../../src/exec/block-bytes.ts'
import { benchCommon, generateWorkload } from '../../helpers/workloads/index.ts'

t.test('remembered bytes, compact', async (t) => {
  const common = new Common({ chain: Mainnet })
  const block = createBlock({ header: { number: 1n, gasLimit: 30_000_000n } }, { common })
  const rlp = block.serialize()
  // The block's bytes inside a bigger buffer, as splitRlpStream hands out a file's blocks.
  const file = new Uint8Array(1 << 20)
  file.set(rlp, 1000)
  const view = file.subarray(1000, 1000 + rlp.length)
  const b = rememberBlockRlp(createBlock({ header: { number: 1n, gasLimit: 30_000_000n } }, { common }), view)
  const got = blockRlp(b)
  t.equal(bytesToHex(got), bytesToHex(rlp), 'the same bytes')
  t.equal(got.buffer.byteLength, rlp.length, 'not a view into the file')
  const { port1, port2 } = new MessageChannel()
  port1.postMessage(got)
  const sent = receiveMessageOnPort(port2)!.message as Uint8Array
  t.equal(sent.buffer.byteLength, rlp.length, 'what a worker receives is the block, not the file')
  port1.close()
  // Bytes that are a whole buffer are kept as they are; a block never remembered is serialized once.
  const whole = rlp.slice()
  t.equal(blockRlp(rememberBlockRlp(block, whole)), whole)
  const other = createBlock({ header: { number: 2n, gasLimit: 30_000_000n } }, { common })
  t.equal(blockRlp(other), blockRlp(other), 'serialized once, then remembered')
})

t.test('the stored body cut from the remembered bytes', async (t) => {
  const common = benchCommon()
  const txs = generateWorkload('erc20/independent', { gas: 2_000_000n, common }).txs
  const withdrawals = [{ index: 0n, validatorIndex: 1n, address: new Uint8Array(20).fill(7), amount: 5n }]
  const header = { number: 1n, gasLimit: 30_000_000n, baseFeePerGas: 7n, timestamp: 1n }
  for (const [what, data] of [
    ['an empty block (short list prefixes)', { header }],
    [`${txs.length} transactions and a withdrawal (long prefixes)`, { header, transactions: txs, withdrawals }],
  ] as const) {
    const rlp = createBlock(data, { common }).serialize()
    const block = rememberBlockRlp(createBlockFromRLP(rlp, { common }), rlp)
    const encoded = RLP.encode(block.raw().slice(1) as never)
    t.equal(bytesToHex(blockBodyRlp(block)), bytesToHex(encoded), `${what}: the list after the header`)
    t.equal(bytesToHex(blockBodyRlp(createBlockFromRLP(rlp, { common }))), bytesToHex(encoded), `${what}: encoded when nothing is remembered`)
  }
})
