// geth's network, miner, txpool, sync/gc, CORS/vhosts and dev-account flags: geth's names and
// defaults, values read, and the modes Parallax lacks refused with a Fatal line that says why.
import t from 'tap'
import { GETH_DEFAULTS, txpoolLimits } from '../../../src/cli/flags-geth.ts'
import { nodeFlags } from '../../helpers/node-flags.ts'


t.test('defaults are geth\'s', async (t) => {
  const r = await nodeFlags([])
  t.equal(r.code, 0)
  const g = r.flags!.geth!
  t.equal(g.networkId, undefined, 'network id defaults to the chain id')
  t.equal(g.minerGasLimit, 60_000_000n)
  t.equal(g.minerExtraData.length, 0)
  t.same(g.txpool, { priceLimit: 1n, accountSlots: 16, globalSlots: 5120, accountQueue: 64, globalQueue: 1024, lifetimeMs: 3 * 3_600_000 })
  t.same(g.httpVhosts, ['localhost'], '--http.vhosts defaults to localhost, as geth')
  t.same(g.httpCorsDomain, [], 'no CORS origins by default')
  t.equal(g.devAccounts, 10)
  t.equal(g.devMnemonic, 'test test test test test test test test test test test junk')
  t.same(g, GETH_DEFAULTS)
})

t.test('values are read', async (t) => {
  const r = await nodeFlags([
    '--networkid', '12345', '--miner.gaslimit', '30000000', '--miner.extradata', 'parallax', '--txpool.pricelimit', '1000000000',
    '--txpool.accountslots', '4', '--txpool.globalslots', '100', '--txpool.accountqueue', '8', '--txpool.globalqueue', '20', '--txpool.lifetime', '1m30s',
    '--http.corsdomain', 'http://a.example, http://b.example', '--http.vhosts', 'node.example,localhost', '--dev.accounts', '3', '--dev.mnemonic', 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
    '--syncmode', 'full', '--gcmode', 'archive',
  ])
  t.equal(r.code, 0, r.stderr)
  const g = r.flags!.geth!
  t.equal(g.networkId, 12345n)
  t.equal(g.minerGasLimit, 30_000_000n)
  t.equal(new TextDecoder().decode(g.minerExtraData), 'parallax')
  t.same(g.txpool, { priceLimit: 1_000_000_000n, accountSlots: 4, globalSlots: 100, accountQueue: 8, globalQueue: 20, lifetimeMs: 90_000 })
  t.same(g.httpCorsDomain, ['http://a.example', 'http://b.example'])
  t.same(g.httpVhosts, ['node.example', 'localhost'])
  t.equal(g.devAccounts, 3)
  t.match(g.devMnemonic, /^abandon/)
  t.same(txpoolLimits(g.txpool), {
    minTip: 1_000_000_000n, maxPending: 100, minSlotsPerSender: 4, maxQueued: 20, maxQueuedPerSender: 8, maxTotal: 120, maxPerSender: 108, queueLifetimeMs: 90_000,
  }, 'the txpool flags become the pool limits')
})

t.test('modes Parallax lacks are refused with the reason', async (t) => {
  for (const [args, re] of [
    [['--syncmode', 'snap'], /--syncmode snap is not supported: Parallax has only full sync/],
    [['--syncmode', 'light'], /--syncmode light is not supported/],
    [['--gcmode', 'full'], /--gcmode full is not supported yet: .*no pruning.*--gcmode archive/],
    [['--syncmode', 'fast'], /Fatal: .*fast.*invalid|Fatal: .*Allowed choices/i],
    [['--miner.extradata', 'x'.repeat(33)], /--miner\.extradata is 33 bytes: at most 32/],
    [['--networkid', 'abc'], /Fatal: .*networkid/],
    [['--dev.accounts', '0'], /Fatal: .*dev\.accounts/],
  ] as const) {
    const r = await nodeFlags([...args])
    t.equal(r.code, 1, args.join(' '))
    t.match(r.stderr, re, args.join(' '))
    t.equal(r.flags, undefined, 'the node is not started')
  }
})
