// README promises Node 20.19+. Every package the lock file installs must accept that Node (npm ci
// printed `EBADENGINE p-retry@8.0.1 required node >=22` until package.json's override pinned p-retry 7).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'
import { REPO_ROOT } from '../helpers/fixtures.ts'

interface Lock {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>
}
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lock
const oldest = semver.minVersion(pkg.engines.node)!

t.equal(oldest.version, '20.19.0', 'package.json engines: Node 20.19 or later (as README says)')
const refused = Object.entries(lock.packages)
  .filter(([name, p]) => name !== '' && !Array.isArray(p.engines) && p.engines?.node !== undefined && !semver.satisfies(oldest, p.engines.node))
  .map(([name, p]) => `${name.replace(/^.*node_modules\//, '')}@${p.version} needs node ${(p.engines as { node: string }).node}`)
t.same(refused, [], `every locked package runs on Node ${oldest.version}`)
