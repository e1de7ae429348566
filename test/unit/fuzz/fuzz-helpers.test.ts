// The fuzz test's judges: the reply checker must catch malformed answers, the mutant comparison must
// tell byte-identical payloads from changed ones, and the generators must be reproducible by seed.
import t from 'tap'
import { Rng } from '../../helpers/workloads/keys.ts'
import { mutateNewPayload, sameBlock, type NewPayloadParams } from '../../fuzz/payload-mutants.ts'
import { randomBody } from '../../fuzz/rpc-bodies.ts'
import { replyProblem } from '../../fuzz/well-formed.ts'

t.test('replyProblem', async (t) => {
  const req = '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}'
  t.equal(replyProblem(200, '{"jsonrpc":"2.0","id":1,"result":"0x1"}', req), undefined)
  t.equal(replyProblem(200, '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}', 'x'), undefined)
  t.equal(replyProblem(413, '', req), undefined, 'a refusal')
  t.equal(replyProblem(200, '', '{"jsonrpc":"2.0","method":"eth_blockNumber"}'), undefined, 'a notification gets nothing')
  t.match(replyProblem(200, '', req), /empty answer/)
  t.match(replyProblem(500, '{}', req), /HTTP 500/)
  t.match(replyProblem(200, 'oops', req), /not JSON/)
  t.match(replyProblem(200, '{"jsonrpc":"2.0","id":1}', req), /exactly one/)
  t.match(replyProblem(200, '{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"x"}}', req), /exactly one/)
  t.match(replyProblem(200, '{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}}', req), /code/)
  t.match(replyProblem(200, '[{"jsonrpc":"2.0","id":1,"result":1},{"id":2,"result":1}]', `[${req}]`), /batch entry/)
  t.match(replyProblem(200, '[]', `[${req}]`), /empty batch/)
})

t.test('sameBlock', async (t) => {
  const honest: NewPayloadParams = [{ blockHash: '0xab', blockNumber: '0x1a', transactions: ['0x01'] }, [], '0xcd', []]
  t.ok(sameBlock([{ blockHash: '0xAB', blockNumber: '0x1A', transactions: ['0X01'] }, [], '0xcd', []], honest), 'hex case does not change bytes')
  t.ok(sameBlock([{ blockHash: '0xab', blockNumber: '0x1a', transactions: ['0x01'], extra: 1 }, [], '0xcd', []], honest), 'an unknown field neither')
  t.notOk(sameBlock([{ blockHash: '0xab', blockNumber: '0x1b', transactions: ['0x01'] }, [], '0xcd', []], honest), 'another number')
  t.notOk(sameBlock([{ blockHash: '0xab', blockNumber: '0x01a', transactions: ['0x01'] }, [], '0xcd', []], honest), 'a leading zero is not a quantity')
  t.notOk(sameBlock([{ blockHash: '0xab', blockNumber: 26, transactions: ['0x01'] }, [], '0xcd', []], honest), 'a JSON number is not a quantity')
  t.notOk(sameBlock([{ blockHash: '0xab', blockNumber: '0x1a' }, [], '0xcd', []], honest), 'a missing field')
  t.notOk(sameBlock([{ blockHash: '0xab', blockNumber: '0x1a', transactions: ['0x01'] }, ['0x01'], '0xcd', []], honest), 'another param')
  t.notOk(sameBlock([...honest, 1], honest), 'an extra param')
})

t.test('generators are reproducible by seed and mutate', async (t) => {
  const honest: NewPayloadParams = [{ blockHash: `0x${'11'.repeat(32)}`, blockNumber: '0x5', transactions: ['0x0102'] }, [], `0x${'22'.repeat(32)}`, []]
  const run = (seed: number): string[] => {
    const rng = new Rng(seed, 'fuzz')
    return Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? randomBody(rng, 'engine') : JSON.stringify(mutateNewPayload(rng, honest))))
  }
  t.same(run(7), run(7), 'same seed, same bodies')
  t.not(run(7).join('\n'), run(8).join('\n'), 'another seed, other bodies')
  const rng = new Rng(3, 'x')
  const mutants = Array.from({ length: 200 }, () => mutateNewPayload(rng, honest))
  t.ok(mutants.filter((m) => !sameBlock(m, honest)).length > 150, 'most mutants change the block')
})
