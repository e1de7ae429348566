// `init` again on an initialised datadir with the same genesis block but another chain config (real
// processes): a compatible change is stored and logged field by field, and `node` then serves it; a
// fork moved at or before the stored head is refused with one Fatal line naming the fork and the head,
// and the stored config stays as it was.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { metaKey, MetaKey } from '../../src/db/keys.ts'
import { LevelKV } from '../../src/db/level.ts'
import { specFromStoredConfig } from '../../src/node/datadir.ts'
import { locateSuite, reportMissing } from '../helpers/fixtures.ts'
import { BIN, startNodeProcess } from '../helpers/node-process.ts'

const cli = (args: string[]) => spawnSync(process.execPath, [BIN, '--log.format', 'json', ...args], { encoding: 'utf8' })
const logLines = (stderr: string): Record<string, unknown>[] => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)

async function storedConfig(dir: string) {
  const kv = await LevelKV.open(join(dir, 'chaindata'))
  try {
    return specFromStoredConfig(new TextDecoder().decode((await kv.get(metaKey(MetaKey.ChainConfig)))!)).config
  } finally {
    await kv.close()
  }
}

const rel = 'ethereum-execution-apis/tests'
const suite = locateSuite(rel)
if (suite === undefined) reportMissing(rel)
else {
  const work = mkdtempSync(join(tmpdir(), 'parallax-init-config-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const base = JSON.parse(readFileSync(join(suite.path, 'genesis.json'), 'utf8')) as { config: Record<string, unknown> }
  /** A copy of the rpc-compat genesis with `change` applied to its config, as a file. */
  const variant = (name: string, change: (c: Record<string, unknown>) => void): string => {
    const json = structuredClone(base)
    change(json.config)
    const file = join(work, `${name}.json`)
    writeFileSync(file, JSON.stringify(json))
    return file
  }
  const genesis = join(suite.path, 'genesis.json')

  t.test('at the genesis head: chainId and a new fork are stored, logged, and served', async (t) => {
    const dir = join(work, 'fresh')
    t.equal(cli(['init', '--datadir', dir, genesis]).status, 0, 'init')
    const res = cli(['init', '--datadir', dir, variant('chainid', (c) => Object.assign(c, { chainId: 32383, amsterdamTime: 100_000 }))])
    t.equal(res.status, 0, res.stderr)
    const changed = logLines(res.stderr).filter((l) => l['msg'] === 'Chain config field changed')
    t.same(
      changed.map((l) => [l['field'], l['old'], l['new']]),
      [['config.chainId', '3503995874084926', '32383'], ['config.amsterdamTime', 'none', '100000']],
      'one line per changed field, with the old and new values',
    )
    t.equal((await storedConfig(dir)).chainId, 32383n, 'stored')
    const node = await startNodeProcess(['node', '--datadir', dir, '--http', '--http.port', '0', '--authrpc.port', '0', '--maxpeers', '0'])
    try {
      t.equal(await node.http!.call('eth_chainId', []), '0x7e7f', 'node serves the stored chainId (32383)')
    } finally {
      await node.stop()
    }
    const again = cli(['init', '--datadir', dir, variant('chainid', (c) => Object.assign(c, { chainId: 32383, amsterdamTime: 100_000 }))])
    t.equal(again.status, 0)
    t.notMatch(again.stderr, /Chain config field changed/, 'the same config again: nothing to change')
  })

  t.test('with imported blocks: forks at or before the head are refused', async (t) => {
    const dir = join(work, 'imported')
    t.equal(cli(['init', '--datadir', dir, genesis]).status, 0, 'init')
    t.equal(cli(['import', '--datadir', dir, join(suite.path, 'chain.rlp')]).status, 0, 'import')
    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      ['osaka', (c) => void (c['osakaTime'] = 490), /^Fatal: incompatible chain config: fork osaka \(config\.osakaTime\) cannot move from time 480 to time 490: the stored head is already in it \(block #54, time \d+\)/],
      ['london', (c) => void (c['londonBlock'] = 28), /^Fatal: incompatible chain config: fork london \(config\.londonBlock\) .*\(block #54, time \d+\)/],
      ['chainid', (c) => void (c['chainId'] = 32383), /^Fatal: incompatible chain config: config\.chainId cannot change .*\(block #54, time \d+\)/],
    ]
    for (const [name, change, fatal] of cases) {
      const res = cli(['init', '--datadir', dir, variant(`head-${name}`, change)])
      t.equal(res.status, 1, `${name}: exit 1`)
      const lines = res.stderr.split('\n').filter((l) => l.startsWith('Fatal:'))
      t.equal(lines.length, 1, `${name}: one Fatal line`)
      t.match(lines[0] ?? '', fatal, `${name}: names the fork and the head`)
    }
    const stored = await storedConfig(dir)
    t.equal(stored.osakaTime, 480n, 'the stored config is unchanged')
    t.equal(stored.chainId, 3503995874084926n)
    const later = cli(['init', '--datadir', dir, variant('later', (c) => void (c['amsterdamTime'] = 100_000))])
    t.equal(later.status, 0, 'a fork after the head is accepted')
    t.equal((await storedConfig(dir)).amsterdamTime, 100_000n, 'and stored')
  })
}
