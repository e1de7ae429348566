// block-bytes.ts: a remembered RLP is what blockRlp gives back, and never a view into a larger buffer
// (it is posted to the workers, and structured clone copies a view's whole buffer: an imported
// file's block would have carried the whole file with it).
import t from 'tap'
import { createBlock } from '@ethereumjs/block'
import { Common, Mainnet } from '@ethereumjs/common'
import { bytesToHex } from '@ethereumjs/util'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import { blockRlp, rememberBlockRlp } from '../../../src/exec/block-bytes.ts'

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
