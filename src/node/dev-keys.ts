// The dev chain's unlocked accounts: BIP-39 mnemonic → BIP-44 keys at m/44'/60'/0'/0/i (Hardhat's and
// anvil's path). The default mnemonic gives the ten keys of presets/dev-keys.ts, funded by the preset.
// Also the lines that list them at a dev node's start.
import { createAddressFromPrivateKey, bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import { HDKey } from '@scure/bip32'
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { ConfigError } from '../util/errors.ts'

/** PUBLIC test mnemonic (Hardhat, anvil): never use its keys for real funds. */
export const DEFAULT_DEV_MNEMONIC = 'test test test test test test test test test test test junk'
export const DEFAULT_DEV_ACCOUNTS = 10

export interface DevKey {
  privateKey: Uint8Array
  /** Lower-case 0x address (as geth answers eth_accounts). */
  address: `0x${string}`
}

/** Derives `count` keys from `mnemonic` (English BIP-39 words, checksum checked). */
export function deriveDevKeys(mnemonic: string, count: number): DevKey[] {
  const words = mnemonic.trim().split(/\s+/).join(' ')
  if (!validateMnemonic(words, wordlist)) throw new ConfigError('--dev.mnemonic is not a valid BIP-39 mnemonic (English words, 12-24 of them, with a correct checksum)')
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(words))
  const keys: DevKey[] = []
  for (let i = 0; i < count; i++) {
    const child = root.derive(`m/44'/60'/0'/0/${i}`)
    if (child.privateKey === null) throw new ConfigError(`--dev.mnemonic: no private key at index ${i}`)
    const privateKey = Uint8Array.from(child.privateKey)
    keys.push({ privateKey, address: createAddressFromPrivateKey(privateKey).toString() as `0x${string}` })
  }
  return keys
}

export function devKeyHex(k: DevKey): `0x${string}` {
  return bytesToHex(k.privateKey)
}

/** Wei as ether, exactly (`10000`, `9999.999979`). */
export function formatEther(wei: bigint): string {
  const whole = wei / 10n ** 18n
  const frac = (wei % 10n ** 18n).toString().padStart(18, '0').replace(/0+$/, '')
  return frac === '' ? whole.toString() : `${whole}.${frac}`
}

/**
 * The dev accounts' log lines. A new dev chain funds each with 10000 ETH; on a kept datadir (a
 * restart) `balances` holds what each has at the head, and each line says it.
 */
export function logDevAccounts(log: Logger, keys: readonly DevKey[], balances?: readonly bigint[]): void {
  const header = balances === undefined ? { balance: '10000 ETH each' } : { balances: 'at the head, below' }
  log.info({ ...header, unlocked: true }, 'Dev accounts (test keys, never use them for real funds)')
  keys.forEach((k, i) => {
    const balance = balances?.[i]
    log.info(balance === undefined ? {} : { balance: `${formatEther(balance)} ETH` }, `(${i}) ${k.address} key=${devKeyHex(k)}`)
  })
}
