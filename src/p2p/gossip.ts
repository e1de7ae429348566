// Validation of a gossiped block before gossipsub relays it. A gossiped block is a hint: cheap checks
// first (size, strict RLP, known, invalid cache), then, when its parent is known, a full import
// through the chain (which executes it). The verdict drives gossipsub: ACCEPT relays, IGNORE drops
// quietly (duplicates, unknown parents: not the sender's fault), REJECT drops and lowers the
// sender's score. A gossiped block never moves the head unless the node follows its peers.
import type { Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import type { Logger } from 'pino'
import type { Chain } from '../chain/chain.ts'
import { decodeBlock } from '../chain/decode.ts'
import { logImported } from '../chain/import-log.ts'
import type { P2PLimits } from './limits.ts'

export type GossipVerdict = 'accept' | 'reject' | 'ignore'

export interface GossipValidatorDeps {
  chain: Chain
  limits: Pick<P2PLimits, 'maxGossipSize'>
  logger: Logger
  /** Follow mode: a valid block higher than the head becomes the head. */
  follow: boolean
  /** The block's parent is unknown: fetch its ancestors (from `peer` first), then insert it. */
  onUnknownParent(block: Block, peer: string): void
  /** A block was imported from gossip. */
  onImported?(block: Block): void
}

export class BlockGossipValidator {
  /** Imports in progress, by block hash: a child arriving meanwhile waits for its parent. */
  private readonly inserting = new Map<string, Promise<boolean>>()

  constructor(private readonly deps: GossipValidatorDeps) {}

  async validate(peer: string, data: Uint8Array): Promise<GossipVerdict> {
    const { chain, logger } = this.deps
    if (data.length > this.deps.limits.maxGossipSize) {
      logger.debug({ peer, size: data.length }, 'Gossip block too large')
      return 'reject'
    }
    let block: Block
    try {
      block = decodeBlock(data, chain.common)
    } catch (err) {
      logger.debug({ peer, err: err instanceof Error ? err.message : String(err) }, 'Gossip block does not decode')
      return 'reject'
    }
    const hash = block.hash()
    const key = bytesToHex(hash)
    if (chain.invalid.get(hash) !== undefined) return 'reject'
    if (chain.invalid.get(block.header.parentHash) !== undefined) return 'reject'
    if (block.header.number === 0n) return 'reject'
    if (this.inserting.has(key)) return 'ignore'
    // Registered before the first await, so a child that arrives next waits for this block.
    const parentImport = this.inserting.get(bytesToHex(block.header.parentHash))
    let settle!: (imported: boolean) => void
    this.inserting.set(key, new Promise<boolean>((resolve) => (settle = resolve)))
    let verdict: GossipVerdict = 'ignore'
    try {
      if (await chain.store.hasBlock(hash)) return verdict
      if (parentImport !== undefined && !(await parentImport)) return verdict
      if (!(await chain.store.hasBlock(block.header.parentHash))) {
        this.deps.onUnknownParent(block, peer)
        return verdict
      }
      verdict = await this.insert(block, peer)
      return verdict
    } finally {
      this.inserting.delete(key)
      settle(verdict === 'accept' || (await chain.store.hasBlock(hash).catch(() => false)))
    }
  }

  private async insert(block: Block, peer: string): Promise<GossipVerdict> {
    const { chain, logger } = this.deps
    const setHead = this.deps.follow && block.header.number > chain.head.number
    let res
    try {
      res = await chain.insertBlock(block, { setHead })
    } catch (err) {
      // Our own fault (I/O, a bug): not the sender's.
      logger.error({ peer, number: Number(block.header.number), err: err instanceof Error ? err.message : String(err) }, 'Gossip block import failed')
      return 'ignore'
    }
    switch (res.status) {
      case 'imported':
        logImported(logger, block, res)
        this.deps.onImported?.(block)
        return 'accept'
      case 'known':
        return 'ignore'
      case 'invalid':
        logger.info({ peer, number: Number(block.header.number), hash: bytesToHex(res.hash), reason: res.reason }, 'Rejected invalid gossip block')
        return 'reject'
      case 'unknown-parent':
        this.deps.onUnknownParent(block, peer)
        return 'ignore'
    }
  }
}
