// A contract that emits one log per call, for subscription and filter tests: its runtime copies the
// calldata to memory and emits LOG1(calldata, topic = keccak("Ping(uint256)")). Also the WebSocket
// URL a `--ws` node process printed.
import { keccak256, toHex, type Hex } from 'viem'
import type { NodeProcess } from './node-process.ts'

export const PING_ABI = [{ type: 'event', name: 'Ping', inputs: [{ name: 'value', type: 'uint256', indexed: false }] }] as const
export const PING_TOPIC = keccak256(toHex('Ping(uint256)'))
// Runtime: CALLDATASIZE 0 0 CALLDATACOPY, PUSH32 topic, CALLDATASIZE 0 LOG1, STOP.
const RUNTIME = `366000600037` + `7f${PING_TOPIC.slice(2)}` + `36` + `6000` + `a1` + `00`
const LEN = (RUNTIME.length / 2).toString(16).padStart(2, '0')
/** Init code: copies the runtime (it starts at byte 12) to memory and returns it. */
export const PING_INIT = `0x60${LEN}600c60003960${LEN}6000f3${RUNTIME}` as Hex
/** A uint256 as calldata (the log's data). */
export const word = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`

/** The URL of the node's WebSocket server, from its json log line. */
export function wsUrl(node: NodeProcess): string {
  const line = node.logs().split('\n').find((l) => l.includes('"msg":"WebSocket server started"') && l.includes('"url":'))
  if (line === undefined) throw new Error('no WebSocket server line')
  return (JSON.parse(line) as { url: string }).url
}
