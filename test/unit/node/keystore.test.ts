// --keystore / --password (and hive's /keys): keystore files' accounts are listed by eth_accounts;
// without a password they are locked (geth's "authentication needed: password or unlock"), with the
// right one they sign; a wrong password stops the start with the file named.
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wallet } from '@ethereumjs/wallet'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { pino } from 'pino'
import { loadKeystore } from '../../../src/node/keystore.ts'
import { AccountLockedError, DevAccounts, UnknownAccountError } from '../../../src/rpc/dev-accounts.ts'
import { ConfigError } from '../../../src/util/errors.ts'

const logger = pino({ level: 'silent' })
const dir = mkdtempSync(join(tmpdir(), 'parallax-keystore-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const keys = join(dir, 'keys')
mkdirSync(keys)
// Cheap KDF parameters: the test is about the files, not scrypt's cost.
const wallets = [Wallet.generate(), Wallet.generate()]
for (const [i, w] of wallets.entries()) writeFileSync(join(keys, `UTC--key-${i}`), await w.toV3String('secret', { kdf: 'pbkdf2', c: 1024 }))
writeFileSync(join(keys, 'notes.txt'), 'not a key')
const addresses = wallets.map((w) => w.getAddressString().toLowerCase()).sort()

t.test('without a password: listed and locked', async (t) => {
  const ks = await loadKeystore(keys, undefined, logger)
  t.same(ks.unlocked, [])
  t.same([...ks.locked].sort(), addresses, 'both keys, the text file skipped')
  const accounts = new DevAccounts(ks.unlocked, ks.locked)
  t.same(accounts.list().sort(), addresses, 'eth_accounts lists them')
  t.throws(() => accounts.get(hexToBytes(addresses[0] as `0x${string}`)), AccountLockedError)
  t.throws(() => accounts.get(new Uint8Array(20)), UnknownAccountError, 'an address the keystore lacks is unknown, not locked')
  t.equal(new AccountLockedError().message, 'authentication needed: password or unlock')
})

t.test('with the password: unlocked, and they sign', async (t) => {
  writeFileSync(join(dir, 'password'), 'secret\n')
  const ks = await loadKeystore(keys, join(dir, 'password'), logger)
  t.same(ks.locked, [])
  t.same(ks.unlocked.map((k) => bytesToHex(k)).sort(), wallets.map((w) => w.getPrivateKeyString()).sort())
  const accounts = new DevAccounts(ks.unlocked)
  t.equal(accounts.signMessage(hexToBytes(addresses[1] as `0x${string}`), new Uint8Array([1])).length, 65)
})

t.test('a wrong password, or no such folder: a clear start error', async (t) => {
  writeFileSync(join(dir, 'wrong'), 'guess\n')
  await t.rejects(loadKeystore(keys, join(dir, 'wrong'), logger), ConfigError)
  await t.rejects(loadKeystore(keys, join(dir, 'wrong'), logger), /cannot unlock .*UTC--key-0 with --password/)
  await t.rejects(loadKeystore(join(dir, 'missing'), undefined, logger), /cannot read --keystore/)
})
