// A one-block (genesis) chain for the eth_* method tests, on memory or on a LevelDB store, and a
// dispatcher that answers like the server: { result } or { error: { code, message, data? } }.
import pino from 'pino'
import { commonFromGenesis, genesisBlock, parseGenesis, writeGenesisState } from '../../../../config/index.ts'
import { Chain } from '../../../../src/chain/chain.ts'
import { initGenesis } from '../../../../src/chain/genesis.ts'
import type { KVStore } from '../../../../src/db/interface.ts'
import { SequentialExecutor } from '../../../../src/exec/sequential.ts'
import { parallaxCryptoWithKzg } from '../../../../src/exec/crypto.ts'
import { toRpcError, type RpcErrorObject } from '../../../../src/rpc/errors.ts'
import { createEthMethods, type EthContext } from '../../../../src/rpc/eth/index.ts'

export const SENDER = '0x1000000000000000000000000000000000000001'
export const silent = pino({ level: 'silent' })

const genesisJson = {
  config: {
    chainId: 1337, homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0,
    constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0,
    mergeNetsplitBlock: 0, terminalTotalDifficulty: 0, shanghaiTime: 0, cancunTime: 0, pragueTime: 0,
  },
  gasLimit: '0x1c9c380', difficulty: '0x0', timestamp: '0x0', extraData: '0x',
  alloc: { [SENDER]: { balance: '0x3635c9adc5dea00000' } },
}

export async function openChain(kv: KVStore): Promise<Chain> {
  const spec = parseGenesis(genesisJson)
  const common = commonFromGenesis(spec, parallaxCryptoWithKzg())
  await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  return Chain.open({ kv, common, executor: new SequentialExecutor(), logger: silent })
}

export type Answer = { result: unknown } | { error: RpcErrorObject }
export type Call = (method: string, params: unknown[]) => Promise<Answer>

export function ethCaller(chain: Chain, extra: Partial<EthContext> = {}): Call {
  const methods = createEthMethods({ chain, common: chain.common, networkId: 1337n, clientVersion: 'test', ...extra })
  return async (method, params) => {
    try {
      return { result: await methods.get(method)!(params) }
    } catch (err) {
      return { error: toRpcError(err) }
    }
  }
}
