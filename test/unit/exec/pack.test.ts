// packBytes: a worker reply's Uint8Arrays copied into one buffer before the structured clone.
import t from 'tap'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import { packBytes } from '../../../src/exec/pack.ts'

const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs)

t.test('every Uint8Array becomes a view of one buffer, with the same bytes; the rest is kept', async (t) => {
  const map = new Map([['k', b(9)]])
  const input = {
    reads: [[b(1, 2), null], [b(3), b()]],
    result: { gas: 21000n, status: 1, logs: [[b(4, 5, 6), [b(7)], b(8)]], name: 'x', none: undefined },
    map,
    big: Buffer.from([10, 11]),
  }
  const out = packBytes(input)
  t.same(out, { ...input, big: b(10, 11) }, 'the same values')
  const views = [out.reads[0]![0], out.reads[1]![0], out.reads[1]![1], out.result.logs[0]![0], (out.result.logs[0]![1] as Uint8Array[])[0], out.result.logs[0]![2], out.big] as Uint8Array[]
  const buffers = new Set(views.map((v) => v.buffer))
  t.equal(buffers.size, 1, 'one buffer behind every view')
  t.equal(views[0]!.buffer.byteLength, 2 + 1 + 0 + 3 + 1 + 1 + 2, 'holding exactly their bytes')
  t.equal(out.map, map, 'a Map is passed as it is')
  t.equal(out.result.gas, 21000n)
  views[0]![0] = 99
  t.equal(input.reads[0]![0]![0], 1, 'the input is not changed (copies, not the same arrays)')
})

t.test('after a structured clone the views still read their own bytes', async (t) => {
  const { port1, port2 } = new MessageChannel()
  t.teardown(() => (port1.close(), port2.close()))
  const input = { effects: [{ a: b(1, 2, 3), c: [b(4), b(5, 6)] }, null], pubkeys: [b(7, 8), null] }
  port2.postMessage(packBytes(input))
  const got = receiveMessageOnPort(port1)?.message
  t.same(got, input)
})
