import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import t from 'tap'
import { loadOrCreateJwtSecret, parseJwtSecret, signJwt, verifyJwt } from '../../../src/rpc/jwt.ts'
import { ConfigError } from '../../../src/util/errors.ts'

const SECRET = new Uint8Array(32).map((_, i) => i)
const SECRET_HEX = Buffer.from(SECRET).toString('hex')
const NOW = 1_700_000_000
// Computed independently with `openssl dgst -sha256 -mac HMAC -macopt hexkey:000102..1f`.
const VECTOR = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDB9.uAxdaUtr1_HpYPtNDLNlQ_sHMiP5eBV-ra8EjL3ScS8'

function captureLogger(): { logger: Logger; records: () => Record<string, unknown>[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString())
      cb()
    },
  })
  return { logger: pino({ level: 'debug' }, stream), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

function reason(r: ReturnType<typeof verifyJwt>): string {
  return r.ok ? 'ok' : r.reason
}

t.test('signJwt matches an independently computed HS256 token, and verifies', async (t) => {
  t.equal(signJwt(SECRET, { iat: NOW }), VECTOR)
  const r = verifyJwt(VECTOR, SECRET, NOW, 60)
  t.equal(r.ok, true)
  t.same(r.ok && r.claims, { iat: NOW })
})

t.test('signature: any change to the secret, header, claims or signature is refused', async (t) => {
  const other = SECRET.slice()
  other[31] = other[31]! ^ 1
  t.match(reason(verifyJwt(VECTOR, other, NOW, 60)), /invalid token signature/)
  const [h, p, s] = VECTOR.split('.') as [string, string, string]
  const forgedClaims = Buffer.from(JSON.stringify({ iat: NOW + 1 })).toString('base64url')
  t.match(reason(verifyJwt(`${h}.${forgedClaims}.${s}`, SECRET, NOW, 60)), /invalid token signature/)
  const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1)
  t.match(reason(verifyJwt(`${h}.${p}.${flipped}`, SECRET, NOW, 60)), /invalid token signature/)
  t.match(reason(verifyJwt(`${h}.${p}.${s.slice(0, 20)}`, SECRET, NOW, 60)), /invalid token signature/, 'short signature')
  t.match(reason(verifyJwt(`${h}.${p}.`, SECRET, NOW, 60)), /invalid token signature/, 'empty signature')
})

t.test('algorithm: only exactly HS256', async (t) => {
  t.match(reason(verifyJwt(signJwt(SECRET, { iat: NOW }, { alg: 'none', typ: 'JWT' }), SECRET, NOW, 60)), /unsupported signing algorithm "none"/)
  // Validly HMAC'd, but labelled otherwise: still refused.
  for (const alg of ['HS512', 'hs256', 'HS256 ', 'RS256']) {
    t.match(reason(verifyJwt(signJwt(SECRET, { iat: NOW }, { alg }), SECRET, NOW, 60)), /unsupported signing algorithm/, alg)
  }
  const noAlg = `${Buffer.from('{"typ":"JWT"}').toString('base64url')}.${VECTOR.split('.')[1]}.${VECTOR.split('.')[2]}`
  t.match(reason(verifyJwt(noAlg, SECRET, NOW, 60)), /unsupported signing algorithm/)
})

t.test('iat: within ±maxSkew seconds inclusive; required and numeric', async (t) => {
  for (const d of [-60, -59, 0, 59, 60]) t.equal(reason(verifyJwt(signJwt(SECRET, { iat: NOW + d }), SECRET, NOW, 60)), 'ok', `iat ${d}`)
  t.match(reason(verifyJwt(signJwt(SECRET, { iat: NOW - 61 }), SECRET, NOW, 60)), /stale token/)
  t.match(reason(verifyJwt(signJwt(SECRET, { iat: NOW + 61 }), SECRET, NOW, 60)), /future token/)
  t.match(reason(verifyJwt(signJwt(SECRET, { iat: NOW + 6 }), SECRET, NOW, 5)), /future token/, 'custom skew')
  t.match(reason(verifyJwt(signJwt(SECRET, { id: 'cl' }), SECRET, NOW, 60)), /missing issued-at/)
  t.match(reason(verifyJwt(signJwt(SECRET, { iat: String(NOW) as unknown as number }), SECRET, NOW, 60)), /malformed issued-at/)
  t.match(reason(verifyJwt(signJwt(SECRET, { iat: NOW, exp: NOW - 1 }), SECRET, NOW, 60)), /expired/)
  t.equal(reason(verifyJwt(signJwt(SECRET, { iat: NOW, id: 'lodestar', clv: 'v1' }), SECRET, NOW, 60)), 'ok', 'optional id/clv claims')
})

t.test('malformed tokens', async (t) => {
  for (const token of ['', 'abc', 'a.b', 'a.b.c.d', '!!.e30.', `${VECTOR}x.`, 'e30.e30.e30', `bm90IGpzb24.${VECTOR.split('.')[1]}.x`, `W10.${VECTOR.split('.')[1]}.x`]) {
    const r = verifyJwt(token, SECRET, NOW, 60)
    t.equal(r.ok, false, JSON.stringify(token))
  }
  t.match(reason(verifyJwt('a.b', SECRET, NOW, 60)), /malformed token/)
})

t.test('parseJwtSecret: hex with or without 0x, whitespace trimmed, exactly 32 bytes', async (t) => {
  t.same(parseJwtSecret(SECRET_HEX), SECRET)
  t.same(parseJwtSecret(`0x${SECRET_HEX}`), SECRET)
  t.same(parseJwtSecret(`0X${SECRET_HEX.toUpperCase()}`), SECRET)
  t.same(parseJwtSecret(`  \n0x${SECRET_HEX}\r\n\t`), SECRET)
  t.ok(parseJwtSecret(SECRET_HEX) instanceof Uint8Array)
  t.throws(() => parseJwtSecret(SECRET_HEX.slice(2)), ConfigError, '31 bytes')
  t.throws(() => parseJwtSecret(`${SECRET_HEX}00`), ConfigError, '33 bytes')
  t.throws(() => parseJwtSecret(`0x${SECRET_HEX.slice(1)}`), ConfigError, 'odd length')
  t.throws(() => parseJwtSecret(''), ConfigError, 'empty')
  t.throws(() => parseJwtSecret(`zz${SECRET_HEX.slice(2)}`), ConfigError, 'non-hex')
  t.throws(() => parseJwtSecret(`0x 0x${SECRET_HEX}`), ConfigError, 'inner junk')
  try {
    parseJwtSecret(SECRET_HEX.slice(2))
  } catch (err) {
    t.match((err as Error).message, /32 bytes/)
    t.notMatch((err as Error).message, SECRET_HEX.slice(2, 20), 'the secret is not echoed')
  }
})

t.test('loadOrCreateJwtSecret without a path: generates <datadir>/jwtsecret, mode 0600, then reuses it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parallax-jwt-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const datadir = join(dir, 'not-yet-there')
  const log = captureLogger()
  const first = await loadOrCreateJwtSecret({ datadir, logger: log.logger })
  t.equal(first.created, true)
  t.equal(first.path, join(datadir, 'jwtsecret'))
  t.equal(first.secret.length, 32)
  t.equal((await stat(first.path)).mode & 0o777, 0o600)
  const text = await readFile(first.path, 'utf8')
  t.match(text, /^0x[0-9a-f]{64}$/)
  t.same(parseJwtSecret(text), first.secret)
  const info = log.records().find((r) => r['msg'] === 'Generated JWT secret')
  t.ok(info, 'logged')
  t.equal(info?.['path'], first.path)
  t.equal(info?.['level'], 30, 'at info')

  const second = await loadOrCreateJwtSecret({ datadir, logger: log.logger })
  t.equal(second.created, false)
  t.same(second.secret, first.secret)
  t.equal(log.records().filter((r) => r['msg'] === 'Generated JWT secret').length, 1)

  const other = await loadOrCreateJwtSecret({ datadir: join(dir, 'other'), logger: log.logger })
  t.notSame(other.secret, first.secret, 'random')
})

t.test('loadOrCreateJwtSecret: an invalid <datadir>/jwtsecret aborts instead of being replaced', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parallax-jwt-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'jwtsecret'), '0x1234')
  await t.rejects(loadOrCreateJwtSecret({ datadir: dir, logger: captureLogger().logger }), { name: 'ConfigError', message: new RegExp(join(dir, 'jwtsecret')) })
  t.equal(await readFile(join(dir, 'jwtsecret'), 'utf8'), '0x1234')
})

t.test('loadOrCreateJwtSecret with a path: read it; missing or invalid is a ConfigError naming it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parallax-jwt-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const logger = captureLogger().logger
  const path = join(dir, 'shared.hex')
  await writeFile(path, `${SECRET_HEX}\n`)
  const got = await loadOrCreateJwtSecret({ path, datadir: dir, logger })
  t.same(got, { secret: SECRET, path, created: false })

  const missing = join(dir, 'missing.hex')
  await t.rejects(loadOrCreateJwtSecret({ path: missing, datadir: dir, logger }), ConfigError)
  await t.rejects(loadOrCreateJwtSecret({ path: missing, datadir: dir, logger }), { message: new RegExp(missing) })
  await t.rejects(stat(join(dir, 'jwtsecret')), 'nothing generated when a path is given')

  const bad = join(dir, 'bad.hex')
  await writeFile(bad, 'not a secret')
  await t.rejects(loadOrCreateJwtSecret({ path: bad, datadir: dir, logger }), { name: 'ConfigError', message: new RegExp(bad) })
})
