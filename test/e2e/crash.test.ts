// kill -9 an import at random moments, restart, and check the store: the head is consistent, its
// state root opens, and the flat state equals that of a clean import up to the same head. Then the
// import resumes to the end. Real processes, real LevelDB.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { splitRlpStream } from '../../src/chain/decode.ts'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT, locateSuite, reportMissing } from '../helpers/fixtures.ts'
import { dumpFlat } from '../helpers/store-check.ts'

const BIN = join(REPO_ROOT, 'bin', 'parallax.js')
const RUNS = Number(process.env['PARALLAX_CRASH_RUNS'] ?? 6)

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, '--verbosity', '2', ...args], { encoding: 'utf8' })
}

const rel = 'ethereum-execution-apis/tests'
const suite = locateSuite(rel)
if (suite === undefined) {
  reportMissing(rel)
} else {
  const genesis = join(suite.path, 'genesis.json')
  const chainRlp = join(suite.path, 'chain.rlp')
  const work = mkdtempSync(join(tmpdir(), 'parallax-crash-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))

  // Reference: a clean, uninterrupted import, to learn how long it takes.
  const ref = join(work, 'ref')
  t.equal(cli(['init', '--datadir', ref, genesis]).status, 0, 'init reference')
  const full = cli(['import', '--datadir', ref, chainRlp])
  t.equal(full.status, 0, 'reference import')

  for (let run = 0; run < RUNS; run++) {
    t.test(`kill -9 run ${run}`, async (t) => {
      const dir = join(work, `crash-${run}`)
      t.equal(cli(['init', '--datadir', dir, genesis]).status, 0)
      // Kill after a random number of imported blocks plus a random few ms, so the kill lands
      // anywhere: between blocks, during execution, during the batch write.
      const afterBlocks = Math.floor(Math.random() * 50)
      const extraMs = Math.floor(Math.random() * 40)
      const child = spawn(process.execPath, [BIN, '--verbosity', '3', '--log.format', 'json', 'import', '--datadir', dir, chainRlp], { stdio: ['ignore', 'ignore', 'pipe'] })
      let seen = 0
      let buf = ''
      const exited = new Promise((r) => child.once('exit', r))
      await new Promise<void>((resolve) => {
        child.stderr!.on('data', (d: Buffer) => {
          buf += d.toString()
          const lines = buf.split('\n')
          buf = lines.pop()!
          seen += lines.filter((l) => l.includes('Imported new block')).length
          if (seen >= afterBlocks) resolve()
        })
        child.once('exit', () => resolve())
      })
      await new Promise((r) => setTimeout(r, extraMs))
      child.kill('SIGKILL')
      await exited
      const crashed = await dumpFlat(dir)
      t.pass(`killed ${extraMs} ms after block ${afterBlocks} was logged; head #${crashed.number}`)
      // A clean import of exactly the blocks up to that head gives the same flat state.
      const clean = join(work, `clean-${run}`)
      t.equal(cli(['init', '--datadir', clean, genesis]).status, 0)
      const prefixFile = join(work, `prefix-${run}.rlp`)
      const blocks = [...splitRlpStream(readFileSync(chainRlp))].slice(0, Number(crashed.number))
      writeFileSync(prefixFile, Buffer.concat(blocks))
      const upTo = cli(['import', '--datadir', clean, prefixFile])
      t.equal(upTo.status, 0, upTo.stderr)
      const expected = await dumpFlat(clean)
      t.equal(crashed.head, expected.head, 'same head hash as a clean import')
      t.equal(crashed.root, expected.root, 'same state root')
      t.same(crashed.flat, expected.flat, 'same flat state')
      // Restart: the import resumes (known blocks skipped) and reaches the reference head.
      const resumed = cli(['import', '--datadir', dir, chainRlp])
      t.equal(resumed.status, 0, resumed.stderr)
      t.equal((await dumpFlat(dir)).head, (await dumpFlat(ref)).head, 'resumed import reaches the reference head')
    })
  }
}
