import t from 'tap'
import { readFileSync } from 'node:fs'
import { bytesToHex } from '@ethereumjs/util'
import { commonFromGenesis, genesisBlock, genesisStateRoot, genesisToJson, loadPreset, parseGenesis } from '../../../config/index.ts'
import { jsonFiles, locateSuite, reportMissing } from '../../helpers/fixtures.ts'
import { genesisSpecFromFixture, type FixtureGenesisCase } from '../../helpers/fixture-genesis.ts'

t.test('dev preset round-trips through genesis JSON', async (t) => {
  const spec = loadPreset('dev')
  const again = parseGenesis(JSON.parse(JSON.stringify(genesisToJson(spec))))
  t.same(again, spec)
})

const rel = 'fselmo-fixtures_eest/blockchain_tests_engine'
const loc = locateSuite(rel)
if (loc === undefined) reportMissing(rel)
else {
  t.test('fixture genesis written as genesis.json gives the same block hash', async (t) => {
    let n = 0
    for (const f of jsonFiles(loc.path).slice(0, 12)) {
      for (const tc of Object.values(JSON.parse(readFileSync(f, 'utf8')) as Record<string, FixtureGenesisCase & { genesisBlockHeader: { hash: string } }>)) {
        const spec = parseGenesis(JSON.parse(JSON.stringify(genesisToJson(genesisSpecFromFixture(tc)))))
        const common = commonFromGenesis(spec)
        const block = genesisBlock(spec, common, await genesisStateRoot(spec))
        t.equal(bytesToHex(block.hash()), tc.genesisBlockHeader.hash, f)
        n++
      }
    }
    t.ok(n > 0, `${n} cases`)
  })
}
