// BLOCKHASH for the EVM: the hashes of the executed block's own ancestors (not the canonical chain,
// which may be another branch), looked up by walking parent hashes from the parent header.
import type { BlockHeader } from '@ethereumjs/block'
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm'

type EVMMockBlock = Awaited<ReturnType<EVMMockBlockchainInterface['getBlock']>>

export type HeaderByHash = (hash: Uint8Array) => Promise<BlockHeader | undefined>

export class AncestorHashes implements EVMMockBlockchainInterface {
  private readonly byNumber = new Map<bigint, Uint8Array>()
  private oldest: BlockHeader
  private readonly lookup: HeaderByHash

  constructor(parent: BlockHeader, lookup: HeaderByHash) {
    this.oldest = parent
    this.lookup = lookup
    this.byNumber.set(parent.number, parent.hash())
  }

  async getBlock(blockId: number): Promise<EVMMockBlock> {
    const n = BigInt(blockId)
    while (!this.byNumber.has(n) && this.oldest.number > n) {
      const up = await this.lookup(this.oldest.parentHash)
      if (up === undefined) break
      this.oldest = up
      this.byNumber.set(up.number, up.hash())
    }
    const hash = this.byNumber.get(n)
    if (hash === undefined) throw new Error(`block ${n} is not an ancestor we know`)
    return { hash: () => hash }
  }
  async putBlock(): Promise<void> {}
  shallowCopy(): EVMMockBlockchainInterface {
    return this
  }
}
