// Chain config compatibility with a stored head (config/compat.ts): which changes `init` may store, and
// which it must refuse, naming the fork and the head; and the field-by-field list of changes. On the
// rpc-compat genesis: forks by block 3..36, by time shanghai 390 … bpo2 540.
import t from 'tap'
import type { Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chainConfigChanges, checkChainConfigCompatible, IncompatibleChainConfigError, parseGenesis, type GenesisSpec, type HeadPoint } from '../../../config/index.ts'
import { VENDORED_ROOT } from '../../helpers/fixtures.ts'

type Json = Record<string, unknown> & { config: Record<string, unknown> }
const base = JSON.parse(readFileSync(join(VENDORED_ROOT, 'ethereum-execution-apis/tests/genesis.json'), 'utf8')) as Json

/** The rpc-compat genesis with `change` applied to a copy of its config. */
function spec(change: (c: Record<string, unknown>) => void = () => {}): GenesisSpec {
  const json = structuredClone(base)
  change(json.config)
  return parseGenesis(json)
}

const GENESIS: HeadPoint = { number: 0n, timestamp: 0n }
const HEAD: HeadPoint = { number: 54n, timestamp: 540n }

function refused(t: Test, next: GenesisSpec, head: HeadPoint, field: string, message: RegExp, what: string): void {
  try {
    checkChainConfigCompatible(spec(), next, head)
    t.fail(`${what}: accepted`)
  } catch (err) {
    t.ok(err instanceof IncompatibleChainConfigError, `${what}: IncompatibleChainConfigError`)
    const e = err as IncompatibleChainConfigError
    t.equal(e.field, field, `${what}: names ${field}`)
    t.same(e.head, head, `${what}: carries the head`)
    t.match(e.message, message, `${what}: message`)
    t.match(e.message, `block #${head.number}, time ${head.timestamp}`, `${what}: the message names the head`)
  }
}

const accepted = (t: Test, next: GenesisSpec, head: HeadPoint, what: string): void => {
  t.doesNotThrow(() => checkChainConfigCompatible(spec(), next, head), what)
}

t.test('changes are listed field by field', async (t) => {
  const next = spec((c) => {
    c['chainId'] = 32383
    c['amsterdamTime'] = 10_000
    ;(c['blobSchedule'] as Record<string, Record<string, number>>)['osaka']!['max'] = 12
  })
  t.same(chainConfigChanges(spec().config, next.config), [
    { field: 'config.chainId', from: '3503995874084926', to: '32383' },
    { field: 'config.blobSchedule.osaka.max', from: '9', to: '12' },
    { field: 'config.amsterdamTime', from: null, to: '10000' },
  ])
  t.same(chainConfigChanges(spec().config, spec().config), [], 'the same config: no change')
})

t.test('at the genesis head', async (t) => {
  accepted(t, spec((c) => void (c['chainId'] = 32383)), GENESIS, 'chainId (no transaction accepted yet)')
  accepted(t, spec((c) => void (c['amsterdamTime'] = 10_000)), GENESIS, 'a fork added after the head')
  accepted(t, spec((c) => void (c['osakaTime'] = 490)), GENESIS, 'a fork after the head moved, still after it')
  refused(t, spec((c) => void (c['homesteadBlock'] = 1)), GENESIS, 'config.homesteadBlock', /fork homestead \(config\.homesteadBlock\) cannot move from block 0 to block 1: the stored head is already in it/, 'a fork the genesis is in')
})

t.test('with blocks past every fork', async (t) => {
  refused(t, spec((c) => void (c['chainId'] = 32383)), HEAD, 'config.chainId', /chainId cannot change from 3503995874084926 to 32383/, 'chainId')
  refused(t, spec((c) => void (c['londonBlock'] = 28)), HEAD, 'config.londonBlock', /cannot move from block 27 to block 28/, 'an activated block fork')
  refused(t, spec((c) => void (c['osakaTime'] = 500)), HEAD, 'config.osakaTime', /fork osaka \(config\.osakaTime\) cannot move from time 480 to time 500: the stored head is already in it/, 'an activated time fork')
  refused(t, spec((c) => void (c['amsterdamTime'] = 540)), HEAD, 'config.amsterdamTime', /cannot move from not scheduled to time 540: that is at or before the stored head/, 'a new fork at the head')
  refused(t, spec((c) => void delete c['bpo2Time']), HEAD, 'config.bpo2Time', /cannot move from time 540 to not scheduled/, 'an activated fork removed')
  refused(t, spec((c) => void ((c['blobSchedule'] as Record<string, Record<string, number>>)['bpo1']!['max'] = 16)), HEAD, 'config.blobSchedule.bpo1', /blob parameters of fork bpo1/, 'blob parameters of an activated fork')
  refused(t, spec((c) => void (c['depositContractAddress'] = `0x${'11'.repeat(20)}`)), HEAD, 'config.depositContractAddress', /depositContractAddress cannot change/, 'the deposit contract after Prague')
  accepted(t, spec((c) => void (c['amsterdamTime'] = 541)), HEAD, 'a fork added after the head')
  accepted(t, spec((c) => void ((c['blobSchedule'] as Record<string, unknown>)['amsterdam'] = { target: 20, max: 30, baseFeeUpdateFraction: 13000000 })), HEAD, 'blob parameters of an unscheduled fork')
})

t.test('between forks', async (t) => {
  const beforeEip155: HeadPoint = { number: 5n, timestamp: 0n }
  accepted(t, spec((c) => void (c['chainId'] = 32383)), beforeEip155, 'chainId before EIP-155 is active')
  refused(t, spec((c) => void (c['chainId'] = 32383)), { number: 6n, timestamp: 0n }, 'config.chainId', /EIP-155/, 'chainId once EIP-155 is active')
  accepted(t, spec((c) => void (c['londonBlock'] = 28)), { number: 20n, timestamp: 0n }, 'a block fork after the head moved')
  refused(t, spec((c) => void (c['arrowGlacierBlock'] = 28)), { number: 28n, timestamp: 0n }, 'config.arrowGlacierBlock', /cannot move from block 30 to block 28: that is at or before the stored head/, 'a block fork moved onto the head')
  // Written out or left to its default, Petersburg is at the same block: no change of schedule.
  const explicit = structuredClone(base)
  explicit.config['petersburgBlock'] = 12
  const implicit = structuredClone(base)
  delete implicit.config['petersburgBlock']
  t.doesNotThrow(() => checkChainConfigCompatible(parseGenesis(explicit), parseGenesis(implicit), HEAD), 'petersburgBlock left to default = constantinopleBlock: the same schedule')
})
