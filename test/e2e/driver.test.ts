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
import { ConsensusClient, type SlotRecord } from '../helpers/consensus-client.ts'
import { startFundedNode } from '../helpers/funded-node.ts'
import { Spammer } from '../helpers/spammer.ts'

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

// A full pool under a real slot clock: the spammer refills the pool every slot with more than one
// block's gas of transfers (several keys), and the payload of every slot must carry transactions
// while any are pending, and every slot must end with a canonical block. The issue this guards
// against: empty blocks while the builder lost the CPU to newPayload and transaction intake.
// PARALLAX_FULLPOOL_SLOTS / _GAS size the run; PARALLAX_FULLPOOL_LOG=1 prints the node's build and import lines.
const FULL_SLOTS = Number(process.env['PARALLAX_FULLPOOL_SLOTS'] ?? 5)
const FULL_GAS_LIMIT = BigInt(process.env['PARALLAX_FULLPOOL_GAS'] ?? 30_000_000)
const SLOT_MS = 4000

t.test(`full pool: ${FULL_SLOTS} slots of ${SLOT_MS / 1000} s, refilled beyond one block's gas`, async (t) => {
  const perBlock = Number(FULL_GAS_LIMIT / 21_000n)
  const refill = Math.ceil(perBlock * 1.5)
  const f = await startFundedNode({ keys: 8, gasLimit: FULL_GAS_LIMIT, http: true })
  try {
    const spammer = new Spammer(f.node.http!, f.common, f.signers, refill * (FULL_SLOTS + 1))
    await spammer.send(refill) // the pool holds more than a block before the first slot
    const spam: Promise<void>[] = []
    const pending = async (): Promise<number> => Number(((await f.node.engine.call('txpool_status', [])) as { pending: string }).pending)
    const cl = new ConsensusClient({
      engine: f.node.engine,
      common: f.common,
      slotMs: SLOT_MS,
      pendingProbe: pending,
      onSlot: () => spam.push(spammer.send(refill)),
    })
    const records = await cl.run(FULL_SLOTS)
    await Promise.all(spam)
    const summary = records.map((r: SlotRecord) => `slot ${r.slot}: ${r.txs} txs, pending ${r.pendingBefore}, getPayload ${Math.round(r.ms.getPayload ?? -1)} ms, newPayload ${Math.round(r.ms.newPayload ?? -1)} ms${r.error ? `, ${r.error}` : ''}`)
    t.comment(summary.join('\n'))
    if (process.env['PARALLAX_FULLPOOL_LOG'] !== undefined) t.comment(f.node.logs().split('\n').filter((l) => /Sealed|build|Imported|head was/i.test(l)).join('\n'))
    t.comment(`spammer: ${spammer.stats.accepted}/${spammer.stats.sent} accepted ${spammer.stats.refusals.join('; ')}`)
    t.ok(spammer.stats.accepted >= refill, 'the pool took at least one refill')
    for (const r of records) {
      t.equal(r.missed, false, `slot ${r.slot} got a canonical block${r.error ? `: ${r.error}` : ''}`)
      if ((r.pendingBefore ?? 0) > 0) t.ok(r.txs > 0, `slot ${r.slot}: payload carries transactions (${r.txs}) while ${r.pendingBefore} are pending`)
    }
    for (const r of records.filter((r) => r.blockNumber !== undefined)) {
      const b = (await f.node.engine.call('eth_getBlockByNumber', [`0x${r.blockNumber!.toString(16)}`, false])) as { hash: string }
      t.equal(b.hash, r.blockHash, `block ${r.blockNumber} of slot ${r.slot} is canonical`)
    }
  } catch (err) {
    t.fail(`full-pool run failed: ${(err as Error).message}`, { nodeLog: f.node.logs().slice(-3000) })
  } finally {
    const { code } = await f.stop()
    t.equal(code, 0, 'clean shutdown')
  }
})
