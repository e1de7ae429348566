// `parallax import` with real processes: the rpc-compat chain reaches the head of headfcu.json, and a
// file with an invalid block stops the import leaving the store exactly as after the block before.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { REPO_ROOT, locateSuite, reportMissing } from '../helpers/fixtures.ts'
import { splitRlpStream } from '../../src/chain/decode.ts'
import { LevelKV } from '../../src/db/level.ts'

const BIN = join(REPO_ROOT, 'bin', 'parallax.js')
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })

async function snapshot(dir: string): Promise<string[]> {
  const kv = await LevelKV.open(join(dir, 'chaindata'))
  const out: string[] = []
  for await (const k of kv.keys({ gte: Uint8Array.of(0), lt: Uint8Array.of(0xff) })) out.push(`${bytesToHex(k)}=${bytesToHex((await kv.get(k))!)}`)
  await kv.close()
  return out
}

const rel = 'ethereum-execution-apis/tests'
const suite = locateSuite(rel)
if (suite === undefined) reportMissing(rel)
else {
  const work = mkdtempSync(join(tmpdir(), 'parallax-import-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const genesis = join(suite.path, 'genesis.json')
  const chainRlp = join(suite.path, 'chain.rlp')
  const headfcu = JSON.parse(readFileSync(join(suite.path, 'headfcu.json'), 'utf8')) as { params: [{ headBlockHash: string }] }

  t.test('rpc-compat chain.rlp reaches headfcu head', async (t) => {
    const dir = join(work, 'full')
    const init = cli(['init', '--datadir', dir, genesis])
    t.equal(init.status, 0, init.stderr)
    t.match(init.stdout, /^0x[0-9a-f]{64}/, 'init prints the genesis hash')
    const res = cli(['--log.format', 'json', 'import', '--datadir', dir, chainRlp])
    t.equal(res.status, 0, res.stderr)
    const lines = res.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    const imported = lines.filter((l) => l['msg'] === 'Imported new block')
    t.ok(imported.length > 30, 'one line per block')
    for (const f of ['number', 'hash', 'txs', 'gas', 'mgasps', 'elapsed']) t.ok(f in imported[0]!, `import line has ${f}`)
    const done = lines.find((l) => l['msg'] === 'Import done')!
    t.equal(done['hash'], headfcu.params[0].headBlockHash, 'head is the headfcu head')
    const again = cli(['--log.format', 'json', 'import', '--datadir', dir, chainRlp])
    t.equal(again.status, 0, 're-import succeeds')
    t.match(again.stderr, /"skipped":54/, 'known blocks are skipped')
    const other = cli(['init', '--datadir', dir, 'dev'])
    t.equal(other.status, 1, 'init with another genesis fails')
    t.match(other.stderr, /^Fatal: .*incompatible genesis/m)
  })

  t.test('an invalid block leaves the store as it was', async (t) => {
    const blocks = [...splitRlpStream(readFileSync(chainRlp))]
    const badAt = 40
    // Corrupt block #41's gasUsed (header field 10): its hash changes, so it is only invalid, not unknown.
    const decoded = RLP.decode(blocks[badAt]!) as unknown as Uint8Array[][]
    decoded[0]![10] = Uint8Array.of(1)
    const bad = RLP.encode(decoded as never)
    const badFile = join(work, 'bad.rlp')
    writeFileSync(badFile, Buffer.concat([...blocks.slice(0, badAt), bad, ...blocks.slice(badAt + 1)]))
    const prefixFile = join(work, 'prefix.rlp')
    writeFileSync(prefixFile, Buffer.concat(blocks.slice(0, badAt)))

    const a = join(work, 'a')
    const b = join(work, 'b')
    t.equal(cli(['init', '--datadir', a, genesis]).status, 0)
    t.equal(cli(['init', '--datadir', b, genesis]).status, 0)
    const res = cli(['import', '--datadir', a, badFile])
    t.equal(res.status, 1, 'import fails')
    t.match(res.stderr, /Fatal: invalid block #41/, 'one-line error naming the block')
    t.equal(cli(['import', '--datadir', b, prefixFile]).status, 0)
    t.same(await snapshot(a), await snapshot(b), 'store identical to one that never saw the bad block')
  })
}
