// Block validation in two halves: what can be checked before executing (header against parent,
// body against header) and after (the ExecutionOutcome against the header's commitments).
// Every failure is an InvalidBlockError with a stable `reason`.
import type { Block, BlockHeader } from '@ethereumjs/block'
import { ConsensusType, Hardfork } from '@ethereumjs/common'
import { bytesToHex, equalsBytes, KECCAK256_RLP_ARRAY } from '@ethereumjs/util'
import { InvalidBlockError } from '../util/errors.ts'
import type { ExecutionOutcome } from './outcome.ts'

export type InvalidReason =
  | 'parent'
  | 'number'
  | 'timestamp'
  | 'gasLimit'
  | 'gasUsed'
  | 'extraData'
  | 'difficulty'
  | 'baseFee'
  | 'blobGas'
  | 'uncles'
  | 'body'
  | 'bodyMismatch'
  | 'transactions'
  | 'stateRoot'
  | 'receiptsRoot'
  | 'logsBloom'
  | 'requestsHash'
  | 'blockAccessList'
  | 'execution'

function fail(reason: InvalidReason, message: string): never {
  throw new InvalidBlockError(reason, message)
}

function msgOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Header rules that need only the parent header. */
export function validateHeaderAgainstParent(header: BlockHeader, parent: BlockHeader): void {
  const common = header.common
  if (!equalsBytes(header.parentHash, parent.hash())) fail('parent', 'parent hash mismatch')
  if (header.number !== parent.number + 1n) {
    fail('number', `invalid number ${header.number}, parent is ${parent.number}`)
  }
  if (header.timestamp <= parent.timestamp) {
    fail('timestamp', `invalid timestamp ${header.timestamp}: not after parent's ${parent.timestamp}`)
  }
  if (header.gasUsed > header.gasLimit) {
    fail('gasUsed', `gas used ${header.gasUsed} exceeds gas limit ${header.gasLimit}`)
  }
  if (header.gasLimit >= 0x8000000000000000n) fail('gasLimit', 'gas limit above 2^63-1')
  try {
    header.validateGasLimit(parent)
  } catch (err) {
    fail('gasLimit', msgOf(err))
  }
  if (header.extraData.length > Number(common.param('maxExtraDataSize'))) {
    fail('extraData', `extra data too long: ${header.extraData.length} bytes`)
  }
  if (common.consensusType() === ConsensusType.ProofOfStake) {
    if (header.difficulty !== 0n) fail('difficulty', `difficulty ${header.difficulty}, expected 0 after the merge`)
  } else if (common.consensusType() === ConsensusType.ProofOfWork) {
    // The ethash seal itself is not verified (see README: pre-merge blocks are trusted for their PoW).
    const expected = header.ethashCanonicalDifficulty(parent)
    if (header.difficulty !== expected) {
      fail('difficulty', `difficulty ${header.difficulty}, expected ${expected}`)
    }
  }
  if (common.isActivatedEIP(1559)) {
    const londonBlock = common.hardforkBlock(Hardfork.London)
    const expected =
      londonBlock !== null && header.number === londonBlock
        ? common.param('initialBaseFee')
        : parent.calcNextBaseFee()
    if (header.baseFeePerGas !== expected) {
      fail('baseFee', `base fee ${header.baseFeePerGas}, expected ${expected}`)
    }
  }
  if (common.isActivatedEIP(4844)) {
    const expected = parent.calcNextExcessBlobGas(common)
    if (header.excessBlobGas !== expected) {
      fail('blobGas', `excess blob gas ${header.excessBlobGas}, expected ${expected}`)
    }
    const perBlob = common.param('blobGasPerBlob')
    const used = header.blobGasUsed ?? 0n
    if (used % perBlob !== 0n) fail('blobGas', `blob gas used ${used} is not a multiple of ${perBlob}`)
    const max = common.getBlobGasSchedule().maxBlobGasPerBlock
    if (used > max) fail('blobGas', `blob gas used ${used} exceeds the maximum ${max}`)
  }
}

/** Body rules: transactions, roots of the body, uncles, blob accounting. */
export async function validateBody(block: Block, parent: BlockHeader): Promise<void> {
  const common = block.common
  if (common.consensusType() === ConsensusType.ProofOfStake || common.gteHardfork(Hardfork.Paris)) {
    if (block.uncleHeaders.length > 0 || !equalsBytes(block.header.uncleHash, KECCAK256_RLP_ARRAY)) {
      fail('uncles', 'uncles are not allowed after the merge')
    }
  }
  // A body that does not match its header says nothing about the header's hash (another body may
  // match it): 'bodyMismatch' blocks are rejected but not remembered as invalid.
  if (!(await block.transactionsTrieIsValid())) fail('bodyMismatch', 'transactions do not match the header transactionsRoot')
  if (!block.uncleHashIsValid()) fail('bodyMismatch', 'uncles do not match the header ommersHash')
  if (common.isActivatedEIP(4895) && !(await block.withdrawalsTrieIsValid())) {
    fail('bodyMismatch', 'withdrawals do not match the header withdrawalsRoot')
  }
  try {
    await block.validateData(false, true, common.isActivatedEIP(7934))
  } catch (err) {
    const m = msgOf(err)
    fail(/transaction/i.test(m) && !/trie/i.test(m) ? 'transactions' : 'body', m)
  }
  if (block.uncleHeaders.length > 0) {
    if (block.uncleHeaders.length > 2) fail('uncles', 'too many uncles')
    for (const u of block.uncleHeaders) {
      if (u.number >= block.header.number || block.header.number - u.number > 7n) {
        fail('uncles', `uncle ${u.number} is out of range`)
      }
    }
  }
  if (common.isActivatedEIP(4844)) {
    try {
      block.validateBlobTransactions(parent)
    } catch (err) {
      fail('blobGas', msgOf(err))
    }
  }
}

/** The execution outcome must match every commitment in the header. */
export function validateOutcome(block: Block, outcome: ExecutionOutcome): void {
  const h = block.header
  if (outcome.gasUsed !== h.gasUsed) fail('gasUsed', `gas used ${h.gasUsed} in header, execution used ${outcome.gasUsed}`)
  if (!equalsBytes(outcome.receiptsRoot, h.receiptTrie)) {
    fail('receiptsRoot', `receipts root ${bytesToHex(h.receiptTrie)} in header, execution gave ${bytesToHex(outcome.receiptsRoot)}`)
  }
  if (!equalsBytes(outcome.logsBloom, h.logsBloom)) fail('logsBloom', 'logs bloom mismatch')
  if (h.common.isActivatedEIP(7685)) {
    if (h.requestsHash === undefined || outcome.requestsHash === undefined || !equalsBytes(outcome.requestsHash, h.requestsHash)) {
      fail('requestsHash', `requests hash ${h.requestsHash ? bytesToHex(h.requestsHash) : 'none'} in header, execution gave ${outcome.requestsHash ? bytesToHex(outcome.requestsHash) : 'none'}`)
    }
  }
  if (h.common.isActivatedEIP(7928)) {
    const want = h.blockAccessListHash
    if (want === undefined || outcome.blockAccessListHash === undefined || !equalsBytes(want, outcome.blockAccessListHash)) {
      fail('blockAccessList', 'block access list hash mismatch')
    }
  }
  if (h.common.isActivatedEIP(4844) && outcome.blobGasUsed !== undefined && h.blobGasUsed !== outcome.blobGasUsed) {
    fail('blobGas', `blob gas used ${h.blobGasUsed} in header, transactions use ${outcome.blobGasUsed}`)
  }
  if (!equalsBytes(outcome.stateRoot, h.stateRoot)) {
    fail('stateRoot', `state root ${bytesToHex(h.stateRoot)} in header, execution gave ${bytesToHex(outcome.stateRoot)}`)
  }
}
