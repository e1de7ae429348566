// --keystore / --password: the accounts of a folder of keystore files (Web3 Secret Storage v3, what
// geth's keystore and hive's /keys hold). Without a password they are listed by eth_accounts and
// locked (signing answers geth's "authentication needed: password or unlock"); with one, each file is
// decrypted at start and its key signs like a dev account's.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Wallet } from '@ethereumjs/wallet'
import type { Logger } from 'pino'
import { ConfigError } from '../util/errors.ts'

export interface KeystoreAccounts {
  /** Private keys of the unlocked accounts (a password was given). */
  unlocked: Uint8Array[]
  /** Lower-case 0x addresses of the locked ones. */
  locked: `0x${string}`[]
}

interface KeyFile {
  address?: unknown
  crypto?: unknown
  Crypto?: unknown
  version?: unknown
}

export async function loadKeystore(dir: string, passwordFile: string | undefined, logger: Logger): Promise<KeystoreAccounts> {
  let names: string[]
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort()
  } catch (err) {
    throw new ConfigError(`cannot read --keystore ${dir}: ${(err as Error).message}`)
  }
  const password = passwordFile === undefined ? undefined : await readPassword(passwordFile)
  const out: KeystoreAccounts = { unlocked: [], locked: [] }
  for (const name of names) {
    const path = join(dir, name)
    const text = await readFile(path, 'utf8')
    let json: KeyFile
    try {
      json = JSON.parse(text) as KeyFile
    } catch {
      logger.warn({ file: path }, 'Skipping a keystore file that is not JSON')
      continue
    }
    if (typeof json.address !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(json.address) || (json.crypto ?? json.Crypto) === undefined) {
      logger.warn({ file: path }, 'Skipping a file that is not a keystore key')
      continue
    }
    const address = `0x${json.address.replace(/^0x/, '').toLowerCase()}` as `0x${string}`
    if (password === undefined) {
      out.locked.push(address)
      continue
    }
    let wallet: Wallet
    try {
      wallet = await Wallet.fromV3(text, password, true)
    } catch (err) {
      throw new ConfigError(`cannot unlock ${path} with --password: ${(err as Error).message}`)
    }
    if (wallet.getAddressString().toLowerCase() !== address) throw new ConfigError(`${path}: its key is not the key of ${address}`)
    out.unlocked.push(wallet.getPrivateKey())
  }
  logger.info({ dir, unlocked: out.unlocked.length, locked: out.locked.length }, 'Keystore accounts')
  return out
}

/** geth's --password file: the first line is the password (a trailing newline is not part of it). */
async function readPassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split(/\r?\n/)[0] ?? ''
  } catch (err) {
    throw new ConfigError(`cannot read --password ${file}: ${(err as Error).message}`)
  }
}
