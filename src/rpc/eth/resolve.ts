// Block, header and state lookup with geth's semantics: tags resolve against the chain's head and
// forkchoice pointers ("pending" answers as "latest", like reth); an unknown number or hash is
// `undefined` (the method answers null); missing forkchoice pointers and unknown state are errors
// with geth's messages.
import type { Block, BlockHeader } from '@ethereumjs/block'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex, equalsBytes } from '@ethereumjs/util'
import type { Chain } from '../../chain/chain.ts'
import type { KVReader } from '../../db/interface.ts'
import { MetaKey } from '../../db/keys.ts'
import { Overlay } from '../../db/overlay.ts'
import { openTrie } from '../../exec/state.ts'
import { ServerError } from './errors.ts'
import type { BlockNumber, BlockNumberOrHash } from './params.ts'

/** A read-only view of the state after `header` over `kv` (writes land in a throw-away overlay); geth's error when it is missing. */
export async function stateAfter(kv: KVReader, header: BlockHeader): Promise<MerkleStateManager> {
  const trie = openTrie(new Overlay(kv), header.stateRoot)
  if (!(await trie.checkRoot(header.stateRoot))) {
    throw new ServerError(`missing trie node ${bytesToHex(header.stateRoot)} (path ) state ${bytesToHex(header.stateRoot)} is not available`)
  }
  return new MerkleStateManager({ trie })
}

export class ChainReader {
  readonly chain: Chain
  private readonly blocks = new Map<string, Block>()

  constructor(chain: Chain) {
    this.chain = chain
  }

  get head(): BlockHeader {
    return this.chain.head
  }

  /** The number a tag stands for; safe/finalized missing → geth's "... block not found". */
  async resolveNumber(n: BlockNumber): Promise<bigint> {
    switch (n) {
      case 'latest':
      case 'pending':
        return this.chain.head.number
      case 'earliest':
        return 0n
      case 'safe':
      case 'finalized': {
        const header = await this.pointer(n)
        return header.number
      }
      default:
        return n
    }
  }

  private async pointer(which: 'safe' | 'finalized'): Promise<BlockHeader> {
    const hash = await this.chain.store.getMeta(which === 'safe' ? MetaKey.Safe : MetaKey.Finalized)
    const header = hash === undefined ? undefined : await this.chain.store.getHeader(hash)
    if (header === undefined) throw new ServerError(`${which} block not found`)
    return header
  }

  async headerByNumber(n: BlockNumber): Promise<BlockHeader | undefined> {
    if (n === 'latest' || n === 'pending') return this.chain.head
    if (n === 'safe' || n === 'finalized') return this.pointer(n)
    const hash = await this.chain.store.getCanonicalHash(n === 'earliest' ? 0n : n)
    return hash === undefined ? undefined : this.chain.store.getHeader(hash)
  }

  async headerByHash(hash: Uint8Array): Promise<BlockHeader | undefined> {
    return this.chain.store.getHeader(hash)
  }

  async canonicalHash(n: bigint): Promise<Uint8Array | undefined> {
    return this.chain.store.getCanonicalHash(n)
  }

  async blockByHash(hash: Uint8Array): Promise<Block | undefined> {
    const key = bytesToHex(hash)
    const hit = this.blocks.get(key)
    if (hit !== undefined) return hit
    const block = await this.chain.store.getBlock(hash)
    if (block === undefined) return undefined
    if (this.blocks.size >= 64) this.blocks.delete(this.blocks.keys().next().value!)
    this.blocks.set(key, block)
    return block
  }

  async blockByNumber(n: BlockNumber): Promise<Block | undefined> {
    const header = await this.headerByNumber(n)
    return header === undefined ? undefined : this.blockByHash(header.hash())
  }

  /** geth's BlockByNumberOrHash: unknown hash → undefined; `requireCanonical` on a side block → error. */
  async blockByNumberOrHash(b: BlockNumberOrHash): Promise<Block | undefined> {
    if (b.number !== undefined) return this.blockByNumber(b.number)
    const header = await this.headerByHash(b.hash!)
    if (header === undefined) return undefined
    await this.checkCanonical(header, b)
    const block = await this.blockByHash(b.hash!)
    if (block === undefined) throw new ServerError('header found, but block body is missing')
    return block
  }

  private async checkCanonical(header: BlockHeader, b: BlockNumberOrHash): Promise<void> {
    if (!b.requireCanonical) return
    const canon = await this.chain.store.getCanonicalHash(header.number)
    if (canon === undefined || !equalsBytes(canon, header.hash())) throw new ServerError('hash is not currently canonical')
  }

  /** geth's StateAndHeaderByNumberOrHash: the header whose post-state a read or call uses. */
  async stateHeader(b: BlockNumberOrHash): Promise<BlockHeader> {
    if (b.number !== undefined) {
      const header = await this.headerByNumber(b.number)
      if (header === undefined) throw new ServerError('header not found')
      return header
    }
    const header = await this.headerByHash(b.hash!)
    if (header === undefined) throw new ServerError('header for hash not found')
    await this.checkCanonical(header, b)
    return header
  }

  /** A read-only view of the state after `header` (writes land in a throw-away overlay). */
  stateAt(header: BlockHeader): Promise<MerkleStateManager> {
    return stateAfter(this.chain.store.kv, header)
  }

  async state(b: BlockNumberOrHash): Promise<{ header: BlockHeader; state: MerkleStateManager }> {
    const header = await this.stateHeader(b)
    return { header, state: await this.stateAt(header) }
  }
}
