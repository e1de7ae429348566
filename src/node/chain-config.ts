// `init` on a datadir that already holds the same genesis block: the stored chain config (which `node`
// always serves) is replaced by the new one when it is compatible with the stored head, and each
// changed field is logged; an incompatible one is refused (config/compat.ts has the rules).
import type { Logger } from 'pino'
import { chainConfigChanges, checkChainConfigCompatible, commonFromGenesis, type ConfigChange, type GenesisSpec } from '../../config/index.ts'
import { ChainStore } from '../db/chain-store.ts'
import type { BatchOp, KVStore } from '../db/interface.ts'
import { MetaKey, metaKey } from '../db/keys.ts'
import { parallaxCrypto } from '../exec/crypto.ts'
import { DatadirError } from '../util/errors.ts'
import { specFromStoredConfig } from './datadir.ts'

export interface NewChainConfig {
  spec: GenesisSpec
  /** What to store: the genesis JSON text, or a preset marker. */
  stored: string
}

/** Replaces the stored chain config with `next` when they differ and `next` is compatible with the head; returns the changes. */
export async function updateStoredChainConfig(kv: KVStore, next: NewChainConfig, logger: Logger): Promise<ConfigChange[]> {
  const storedText = await kv.get(metaKey(MetaKey.ChainConfig))
  if (storedText === undefined) throw new DatadirError('the datadir holds a genesis block but no chain config')
  const stored = specFromStoredConfig(new TextDecoder().decode(storedText))
  const changes = chainConfigChanges(stored.config, next.spec.config)
  if (changes.length === 0) return changes
  // The head's header is decoded under the config it was imported with.
  const store = new ChainStore(kv, commonFromGenesis(stored, parallaxCrypto()))
  const headHash = await store.getMeta(MetaKey.Head)
  const head = headHash === undefined ? undefined : await store.getHeader(headHash)
  if (head === undefined) throw new DatadirError('the datadir has no readable head block')
  checkChainConfigCompatible(stored, next.spec, { number: head.number, timestamp: head.timestamp })
  const ops: BatchOp[] = []
  store.metaOps(MetaKey.ChainConfig, new TextEncoder().encode(next.stored), ops)
  await store.commit(ops)
  for (const c of changes) logger.info({ field: c.field, old: c.from ?? 'none', new: c.to ?? 'none' }, 'Chain config field changed')
  logger.info({ changes: changes.length, head: Number(head.number) }, 'Updated the stored chain config')
  return changes
}
