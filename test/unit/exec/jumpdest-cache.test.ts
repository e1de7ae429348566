// The jump-destination cache (src/exec/jumpdest-cache.ts): same results as the library's analysis,
// computed once per code (by identity, then by hash) and per opcode table.
import t from 'tap'
import { createEVM } from '@ethereumjs/evm'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { hexToBytes } from '@ethereumjs/util'
import { installJumpdestCache, jumpdestStats } from '../../../src/exec/jumpdest-cache.ts'

// PUSH1 5, JUMP, INVALID, INVALID, JUMPDEST, PUSH1 0x2a, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN
const CODE = '0x600556fefe5b602a60005260206000f3'
// The same, but jumping into PUSH data (byte 6 is the 0x5b inside PUSH1 0x5b): must fail.
const BAD = '0x600656fefe605b5b00'

t.test('cached analysis: same results, one analysis per code', async (t) => {
  t.ok(await installJumpdestCache(), 'installed')
  const evm = await createEVM({ common: new Common({ chain: Mainnet, hardfork: Hardfork.Prague }) })
  const before = { ...jumpdestStats }
  for (let i = 0; i < 3; i++) {
    // a fresh array each time: the hash path, not identity
    const r = await evm.runCode({ code: hexToBytes(CODE), gasLimit: 100000n })
    t.equal(r.exceptionError, undefined, `run ${i}: no error`)
    t.equal(BigInt(`0x${Buffer.from(r.returnValue).toString('hex')}`), 42n, `run ${i}: returns 42`)
  }
  t.equal(jumpdestStats.misses - before.misses, 1, 'analysed once')
  t.equal(jumpdestStats.hits - before.hits, 2, 'then served from the cache')
  const bad = await evm.runCode({ code: hexToBytes(BAD), gasLimit: 100000n })
  t.match(bad.exceptionError?.error, /^invalid JUMP/, 'a jump into PUSH data is still invalid')
  const again = await evm.runCode({ code: hexToBytes(BAD), gasLimit: 100000n })
  t.match(again.exceptionError?.error, /^invalid JUMP/, 'also when cached')
})
