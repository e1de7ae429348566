import { readFileSync } from 'node:fs'
import { hexToBytes, bytesToHex } from '@ethereumjs/util'
import { commonForFixtureNetwork } from './config/index.ts'
import { decodeBlock } from './src/chain/decode.ts'
import { parallaxCryptoWithKzg, parallaxCrypto } from './src/exec/crypto.ts'
const d = JSON.parse(readFileSync('/work/shared/fixtures/ethereum-tests/BlockchainTests/InvalidBlocks/bcEIP1559/checkGasLimit.json', 'utf8'))
const tc: any = Object.values(d)[0]
for (const cc of [parallaxCrypto(), {}]) {
  const common = commonForFixtureNetwork(tc.network, cc)
  const block = decodeBlock(hexToBytes(tc.blocks[1].rlp), common)
  console.log(await block.transactionsTrieIsValid(), bytesToHex(await block.genTxTrie()), bytesToHex(block.header.transactionsTrie))
  try { await block.validateData(false, true) ; console.log('ok') } catch (e) { console.log((e as Error).message.slice(0,100)) }
}
