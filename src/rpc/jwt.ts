// Engine API authentication (execution-apis src/engine/authentication.md): HS256 JWTs over a shared
// 32-byte secret, an `iat` claim within ±60 s of our clock. Only HS256 is accepted: `none` and every
// other algorithm are refused before any signature work. Also the secret file: geth's
// `--authrpc.jwtsecret`, or `<datadir>/jwtsecret` generated (mode 0600) when none is given.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Logger } from 'pino'
import { ConfigError } from '../util/errors.ts'

/** The spec's allowed clock difference for `iat`, in seconds. */
export const DEFAULT_JWT_MAX_SKEW_SECONDS = 60
export const JWT_SECRET_BYTES = 32
export const JWT_SECRET_FILENAME = 'jwtsecret'

export interface JwtHeader {
  alg: string
  typ?: string
  [key: string]: unknown
}

/** `iat` is required by the spec; `id` and `clv` are optional; anything else is carried along. */
export interface JwtClaims {
  iat?: number
  id?: string
  clv?: string
  [key: string]: unknown
}

export type JwtVerifyResult = { ok: true; claims: JwtClaims } | { ok: false; reason: string }

const SEGMENT = /^[A-Za-z0-9_-]*$/

function b64urlEncode(data: Uint8Array | string): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString('base64url')
}

function b64urlDecode(segment: string): Buffer | undefined {
  if (!SEGMENT.test(segment) || segment.length % 4 === 1) return undefined
  return Buffer.from(segment, 'base64url')
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = b64urlDecode(segment)
  if (bytes === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

function hmacSha256(secret: Uint8Array, signingInput: string): Buffer {
  return createHmac('sha256', secret).update(signingInput, 'ascii').digest()
}

/**
 * Verifies a compact JWT: exactly three base64url segments, header `alg` exactly "HS256", an
 * HMAC-SHA256 signature over `header.payload` (constant-time comparison), and an `iat` (seconds)
 * within `maxSkew` seconds of `nowSeconds`, either way. An `exp` claim, when present, is enforced too.
 */
export function verifyJwt(token: string, secret: Uint8Array, nowSeconds: number, maxSkew: number = DEFAULT_JWT_MAX_SKEW_SECONDS): JwtVerifyResult {
  const parts = token.split('.')
  if (parts.length !== 3) return { ok: false, reason: 'malformed token: expected three segments' }
  const [headerSeg, payloadSeg, sigSeg] = parts as [string, string, string]
  const header = decodeJsonObject(headerSeg)
  if (header === undefined) return { ok: false, reason: 'malformed token: bad header' }
  if (header['alg'] !== 'HS256') {
    const alg = typeof header['alg'] === 'string' ? header['alg'].slice(0, 32) : String(header['alg'])
    return { ok: false, reason: `unsupported signing algorithm ${JSON.stringify(alg)}, only HS256 is accepted` }
  }
  const signature = b64urlDecode(sigSeg)
  if (signature === undefined) return { ok: false, reason: 'malformed token: bad signature encoding' }
  const expected = hmacSha256(secret, `${headerSeg}.${payloadSeg}`)
  // Lengths are public (always 32 for HS256); compare the bytes in constant time.
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return { ok: false, reason: 'invalid token signature' }
  const claims = decodeJsonObject(payloadSeg)
  if (claims === undefined) return { ok: false, reason: 'malformed token: bad claims' }
  const iat = claims['iat']
  if (iat === undefined) return { ok: false, reason: 'missing issued-at (iat) claim' }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return { ok: false, reason: 'malformed issued-at (iat) claim' }
  if (iat < nowSeconds - maxSkew) return { ok: false, reason: 'stale token: issued-at too far in the past' }
  if (iat > nowSeconds + maxSkew) return { ok: false, reason: 'future token: issued-at too far in the future' }
  const exp = claims['exp']
  if (exp !== undefined) {
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'malformed expiry (exp) claim' }
    if (nowSeconds > exp) return { ok: false, reason: 'token is expired' }
  }
  return { ok: true, claims: claims as JwtClaims }
}

/**
 * A compact JWT signed with HMAC-SHA256 over `secret`. The header defaults to `{alg: "HS256", typ:
 * "JWT"}`; with `alg: "none"` the signature is left empty (for tests of the rejection path), with
 * any other `alg` it is still HMAC-SHA256 (so tests can show the alg itself is what gets refused).
 */
export function signJwt(secret: Uint8Array, claims: JwtClaims, header: JwtHeader = { alg: 'HS256', typ: 'JWT' }): string {
  const signingInput = `${b64urlEncode(JSON.stringify(header))}.${b64urlEncode(JSON.stringify(claims))}`
  const signature = header.alg === 'none' ? '' : b64urlEncode(hmacSha256(secret, signingInput))
  return `${signingInput}.${signature}`
}

/** Parses the secret file's text: 32 bytes of hex, `0x` optional, surrounding whitespace ignored. */
export function parseJwtSecret(text: string): Uint8Array {
  const trimmed = text.trim()
  const hex = trimmed.startsWith('0x') || trimmed.startsWith('0X') ? trimmed.slice(2) : trimmed
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new ConfigError('invalid JWT secret: expected hex characters only (32 bytes, optional 0x prefix)')
  if (hex.length !== JWT_SECRET_BYTES * 2) {
    throw new ConfigError(`invalid JWT secret: expected ${JWT_SECRET_BYTES} bytes (${JWT_SECRET_BYTES * 2} hex characters), got ${hex.length} hex characters`)
  }
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export interface LoadJwtSecretOptions {
  /** `--authrpc.jwtsecret`: the file must exist and hold a valid secret. */
  path?: string
  /** Where `jwtsecret` is read from, or generated in, when no path is given. */
  datadir: string
  logger: Logger
}

export interface LoadedJwtSecret {
  secret: Uint8Array
  path: string
  created: boolean
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined
}

async function readSecretFile(path: string): Promise<Uint8Array | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined
    throw new ConfigError(`cannot read JWT secret file ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  try {
    return parseJwtSecret(text)
  } catch (err) {
    throw new ConfigError(`${err instanceof Error ? err.message : String(err)} (in ${path})`, { cause: err })
  }
}

/**
 * With `path`: read and parse it (missing or invalid → ConfigError naming the path). Without: use
 * `<datadir>/jwtsecret`, generating 32 random bytes as 0x-hex with mode 0600 when it is absent.
 */
export async function loadOrCreateJwtSecret(opts: LoadJwtSecretOptions): Promise<LoadedJwtSecret> {
  if (opts.path !== undefined) {
    const secret = await readSecretFile(opts.path)
    if (secret === undefined) throw new ConfigError(`JWT secret file ${opts.path} does not exist`)
    return { secret, path: opts.path, created: false }
  }
  const path = join(opts.datadir, JWT_SECRET_FILENAME)
  const existing = await readSecretFile(path)
  if (existing !== undefined) return { secret: existing, path, created: false }
  const secret = new Uint8Array(randomBytes(JWT_SECRET_BYTES))
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    // 'wx': never overwrite a secret another process wrote in the meantime.
    await writeFile(path, `0x${Buffer.from(secret).toString('hex')}`, { mode: 0o600, flag: 'wx' })
    await chmod(path, 0o600)
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') {
      const raced = await readSecretFile(path)
      if (raced !== undefined) return { secret: raced, path, created: false }
    }
    throw new ConfigError(`cannot write JWT secret file ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  opts.logger.info({ path }, 'Generated JWT secret')
  return { secret, path, created: true }
}
