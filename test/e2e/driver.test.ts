// A real `parallax node` process driven for 200 slots by a scripted consensus client calling the
// Engine API in Lodestar's order — getPayload at the slot start, newPayload of that payload,
// forkchoiceUpdated without attributes, then forkchoiceUpdated with attributes for the next slot
// (at 2/3 of the slot) — while another task sends transactions. Every block must be VALID and every
// transaction must land.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { commonFromGenesis, loadPreset } from '../../config/index.ts'
import { DEV_PRIVATE_KEYS } from '../../config/presets/dev-keys.ts'
import { BIN, startNodeProcess } from '../helpers/node-process.ts'

const SLOTS = Number(process.env['PARALLAX_DRIVER_SLOTS'] ?? 200)
const common = commonFromGenesis(loadPreset('dev'))

interface Fcu { payloadStatus: { status: string }; payloadId: string | null }
interface Built { executionPayload: { blockHash: string; blockNumber: string; timestamp: string; transactions: string[] }; executionRequests: string[] }

t.test(`${SLOTS} slots in Lodestar's call order with concurrent transactions`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'parallax-driver-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const datadir = join(dir, 'data')
  t.equal(spawnSync(process.execPath, [BIN, 'init', '--datadir', datadir, 'dev']).status, 0, 'init dev')
  const secret = randomBytes(32)
  writeFileSync(join(dir, 'jwt.hex'), bytesToHex(secret))
  const node = await startNodeProcess(['node', '--datadir', datadir, '--authrpc.port', '0', '--authrpc.jwtsecret', join(dir, 'jwt.hex'), '--port', '0'], secret)
  const rpc = node.engine
  try {
    const genesis = (await rpc.call('eth_getBlockByNumber', ['latest', false])) as { hash: string; timestamp: string }
    let head = { hash: genesis.hash, timestamp: BigInt(genesis.timestamp) }
    const hashes: string[] = [genesis.hash]
    const fc = () => ({ headBlockHash: head.hash, safeBlockHash: hashes[Math.max(0, hashes.length - 3)]!, finalizedBlockHash: hashes[Math.max(0, hashes.length - 5)]! })
    const attrs = (ts: bigint) => ({
      timestamp: `0x${ts.toString(16)}`,
      prevRandao: bytesToHex(randomBytes(32)),
      suggestedFeeRecipient: '0x' + 'fe'.repeat(20),
      withdrawals: [],
      parentBeaconBlockRoot: bytesToHex(randomBytes(32)),
    })

    // The transaction sender: a few transfers per slot from three accounts.
    const sent: string[] = []
    const nonces = [0n, 0n, 0n]
    let sending = true
    const sender = (async (): Promise<void> => {
      while (sending) {
        for (let k = 0; k < 3; k++) {
          const tx = createFeeMarket1559Tx(
            { nonce: nonces[k]!, to: `0x${'ab'.repeat(19)}${k.toString(16).padStart(2, '0')}`, value: 1000n, gasLimit: 21000n, maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n, chainId: 1337n },
            { common },
          ).sign(hexToBytes(DEV_PRIVATE_KEYS[k + 1]!))
          sent.push((await rpc.call('eth_sendRawTransaction', [bytesToHex(tx.serialize())])) as string)
          nonces[k]!++
        }
        await new Promise((r) => setTimeout(r, 40))
      }
    })().catch((err: unknown) => {
      sending = false
      t.fail(`sender failed: ${(err as Error).message}`, { nodeLog: node.logs().slice(-3000) })
    })

    let nextAttrs = attrs(head.timestamp + 12n)
    let fcu = (await rpc.call('engine_forkchoiceUpdatedV3', [fc(), nextAttrs])) as Fcu
    let valid = 0
    let withTxs = 0
    for (let slot = 1; slot <= SLOTS; slot++) {
      if (slot === SLOTS - 5) sending = false // the last slots drain the pool
      const built = (await rpc.call('engine_getPayloadV4', [fcu.payloadId])) as Built
      const p = built.executionPayload
      if (p.transactions.length > 0) withTxs++
      const st = (await rpc.call('engine_newPayloadV4', [p, [], nextAttrs.parentBeaconBlockRoot, built.executionRequests])) as { status: string }
      if (st.status === 'VALID') valid++
      else t.fail(`slot ${slot}: newPayload ${JSON.stringify(st)}`)
      head = { hash: p.blockHash, timestamp: BigInt(p.timestamp) }
      hashes.push(p.blockHash)
      const f2 = (await rpc.call('engine_forkchoiceUpdatedV3', [fc(), null])) as Fcu
      if (f2.payloadStatus.status !== 'VALID') t.fail(`slot ${slot}: fcU ${f2.payloadStatus.status}`)
      await new Promise((r) => setTimeout(r, 10)) // 2/3 of a (compressed) slot
      nextAttrs = attrs(head.timestamp + 12n)
      fcu = (await rpc.call('engine_forkchoiceUpdatedV3', [fc(), nextAttrs])) as Fcu
    }
    await sender
    t.equal(valid, SLOTS, 'every payload VALID')
    t.ok(withTxs > SLOTS / 2, `${withTxs} blocks carried transactions`)
    const latest = (await rpc.call('eth_blockNumber', [])) as string
    t.equal(BigInt(latest), BigInt(SLOTS), 'head advanced one block per slot')
    let landed = 0
    for (const h of sent) {
      const r = (await rpc.call('eth_getTransactionReceipt', [h])) as { status: string } | null
      if (r !== null && r.status === '0x1') landed++
    }
    t.equal(landed, sent.length, `all ${sent.length} transactions landed`)
    // What Kurtosis waits on before it hands the node to a consensus client.
    const info = (await rpc.call('admin_nodeInfo', [])) as { enode: string; name: string; protocols: { eth: { genesis: string } } }
    t.match(info.enode, /^\/ip4\/.+\/tcp\/\d+\/p2p\/\w+/, 'admin_nodeInfo has a dialable listen address')
    t.match(info.name, /^Parallax\/v/)
    t.equal(info.protocols.eth.genesis, hashes[0], 'and the genesis')
    t.equal(await rpc.call('net_peerCount', []), '0x0')
  } catch (err) {
    t.fail(`driver failed: ${(err as Error).message}`, { nodeLog: node.logs().slice(-3000) })
  } finally {
    const { code, ms } = await node.stop()
    t.equal(code, 0, `clean shutdown in ${ms} ms`)
  }
})
