// TraceBoard: where the workers' results arrive for the main thread.
import t from 'tap'
import { TraceBoard } from '../../../src/exec/parallel-replay.ts'

t.test('results arrive, are waited for, and are dropped once the main thread is done with them', async (t) => {
  const board = new TraceBoard<{ n: number }>(4)
  t.equal(board.peek(0), undefined, 'nothing yet')
  board.set(0, { n: 0 })
  t.same(board.peek(0), { n: 0 })
  board.set(0, { n: 9 })
  t.same(board.peek(0), { n: 0 }, 'the first result stays')
  const waiting = board.get(1)
  board.set(1, { n: 1 })
  t.same(await waiting, { n: 1 }, 'a waiter gets the result when it comes')
  board.pubkeys[2] = Uint8Array.of(1)
  board.release(0)
  board.release(2)
  t.equal(board.peek(0), null, 'a released result is gone (nothing keeps it alive)')
  t.equal(board.pubkeys[2], null, 'and so is its public key')
  board.set(2, { n: 2 })
  t.equal(board.peek(2), null, 'a result arriving after its release is ignored')
  t.same(board.peek(1), { n: 1 }, 'other results stay')
})
