import t from 'tap'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateNodeKey, NODEKEY_FILE } from '../../../src/p2p/nodekey.ts'
import { ConfigError } from '../../../src/util/errors.ts'
import { tempDir } from './fixture.ts'

t.test('node key: created once (mode 0600), then reused', async (t) => {
  const dir = tempDir('parallax-nodekey-')
  t.teardown(dir.remove)
  const datadir = join(dir.path, 'new', 'data')
  const first = await loadOrCreateNodeKey(datadir)
  t.ok(first.created)
  t.equal(statSync(join(datadir, NODEKEY_FILE)).mode & 0o777, 0o600)
  const second = await loadOrCreateNodeKey(datadir)
  t.notOk(second.created)
  t.equal(peerIdFromPrivateKey(second.key).toString(), peerIdFromPrivateKey(first.key).toString(), 'same peer id')
})

t.test('node key: a corrupt file is a ConfigError, never silently replaced', async (t) => {
  const dir = tempDir('parallax-nodekey-')
  t.teardown(dir.remove)
  writeFileSync(join(dir.path, NODEKEY_FILE), 'not hex\n')
  await t.rejects(loadOrCreateNodeKey(dir.path), ConfigError)
  writeFileSync(join(dir.path, NODEKEY_FILE), 'abcd\n')
  await t.rejects(loadOrCreateNodeKey(dir.path), ConfigError)
})
