// RPC users for the Engine latency benchmark: `heavy` clients loop on eth_call of an endless loop
// (state-override code, the gas it is given burns to the end), `cheap` clients flood small eth_*
// reads and eth_getLogs over the whole chain. Each client sends its next call when the last answered.
import type { RpcClient } from '../helpers/rpc-client.ts'

export interface LoadOptions {
  heavy: number
  cheap: number
  /** Gas of each heavy eth_call (the node's gas cap applies on top). */
  callGas?: bigint
}

export interface LoadStats {
  heavyCalls: number
  cheapCalls: number
  /** Calls not answered (HTTP failure), and cheap calls answered with a JSON-RPC error (a heavy call's out-of-gas error is its normal end). */
  errors: number
}

const LOOP_ADDRESS = `0x${'10'.repeat(20)}`
/** JUMPDEST PUSH1 0 JUMP: loops until out of gas. */
const LOOP_CODE = '0x5b600056'

export function startRpcLoad(client: RpcClient, o: LoadOptions): { stop(): Promise<LoadStats> } {
  const stats: LoadStats = { heavyCalls: 0, cheapCalls: 0, errors: 0 }
  let running = true
  const gas = `0x${(o.callGas ?? 50_000_000n).toString(16)}`
  const heavy = async (): Promise<void> => {
    while (running) {
      try {
        await client.raw('eth_call', [{ to: LOOP_ADDRESS, gas, data: '0x' }, 'latest', { [LOOP_ADDRESS]: { code: LOOP_CODE } }])
        stats.heavyCalls++
      } catch {
        stats.errors++
      }
    }
  }
  const addresses = Array.from({ length: 100 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}`)
  const cheapCalls: [string, unknown[]][] = [
    ['eth_blockNumber', []],
    ['eth_chainId', []],
    ['eth_gasPrice', []],
    ['eth_getBalance', [LOOP_ADDRESS, 'latest']],
    ['eth_getBlockByNumber', ['latest', false]],
    ['eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: addresses }]],
  ]
  const cheap = async (offset: number): Promise<void> => {
    for (let i = offset; running; i++) {
      const [method, params] = cheapCalls[i % cheapCalls.length]!
      try {
        const r = await client.raw(method, params)
        if (r.error !== undefined) stats.errors++
        stats.cheapCalls++
      } catch {
        stats.errors++
      }
    }
  }
  const loops = [...Array.from({ length: o.heavy }, () => heavy()), ...Array.from({ length: o.cheap }, (_, i) => cheap(i))]
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      return stats
    },
  }
}
