// The node's persistent libp2p identity: an Ed25519 key in `<datadir>/nodekey` (hex of the libp2p
// protobuf encoding, mode 0600), created on first start, so the peer id survives restarts.
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../util/errors.ts'

export const NODEKEY_FILE = 'nodekey'

export async function loadOrCreateNodeKey(datadir: string): Promise<{ key: PrivateKey; created: boolean }> {
  const path = join(datadir, NODEKEY_FILE)
  let text: string | undefined
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (text !== undefined) {
    const hex = text.trim().replace(/^0x/, '')
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new ConfigError(`${path}: node key is not hex`)
    try {
      return { key: privateKeyFromProtobuf(Uint8Array.from(Buffer.from(hex, 'hex'))), created: false }
    } catch (err) {
      throw new ConfigError(`${path}: invalid node key: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  await mkdir(datadir, { recursive: true })
  // 'wx': never overwrite a key another process wrote meanwhile.
  try {
    await writeFile(path, Buffer.from(privateKeyToProtobuf(key)).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateNodeKey(datadir)
    throw err
  }
  await chmod(path, 0o600)
  return { key, created: true }
}
