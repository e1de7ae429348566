// The payload builder under a getPayload that comes right after forkchoiceUpdated: the payload is
// sealed from what selection found (a prefix of the pool's order, never empty while candidates
// exist), it is a valid block for anyone who executes it, and our own import of it reuses the seal's
// execution instead of running the block again.
import t from 'tap'
import pino from 'pino'
import { bytesToHex, createAddressFromString } from '@ethereumjs/util'
import type { TypedTransaction } from '@ethereumjs/tx'
import { genesisBlock, writeGenesisState } from '../../../config/index.ts'
import { PayloadBuilder } from '../../../src/chain/builder.ts'
import { Chain } from '../../../src/chain/chain.ts'
import { initGenesis } from '../../../src/chain/genesis.ts'
import { MemoryKV } from '../../../src/db/memory.ts'
import type { ExecutionOutcome } from '../../../src/exec/outcome.ts'
import { SequentialExecutor, type ExecuteRequest, type Executor } from '../../../src/exec/sequential.ts'
import { AllocBuilder, benchCommon, benchGenesis } from '../../helpers/workloads/genesis.ts'
import { Signer } from '../../helpers/workloads/keys.ts'
import { signedTx } from '../../helpers/workloads/txs.ts'

const silent = pino({ level: 'silent' })
const GAS_LIMIT = 30_000_000n

/** Counts sealing (`generate`) and checking executions. */
class CountingExecutor implements Executor {
  readonly kind = 'sequential' as const
  seals = 0
  checks = 0
  private readonly inner = new SequentialExecutor()
  execute(req: ExecuteRequest): Promise<ExecutionOutcome> {
    if (req.generate === true) this.seals++
    else this.checks++
    return this.inner.execute(req)
  }
}

const signers = Array.from({ length: 4 }, (_, i) => Signer.derive(7, 'builder-test', i))
const alloc = new AllocBuilder()
for (const s of signers) alloc.fund(s.address, 10n ** 24n)
const spec = benchGenesis(alloc.alloc, { gasLimit: GAS_LIMIT })
const common = benchCommon({ gasLimit: GAS_LIMIT })

async function openChain(executor: Executor): Promise<Chain> {
  const kv = new MemoryKV()
  await initGenesis(kv, { common, writeState: (o) => writeGenesisState(spec, o), block: (r) => genesisBlock(spec, common, r), chainConfig: '{}' })
  return Chain.open({ kv, common, executor, logger: silent })
}

const to = createAddressFromString(`0x${'77'.repeat(20)}`)
const candidates: TypedTransaction[] = Array.from({ length: 600 }, (_, i) => signedTx(common, signers[i % signers.length]!, { to, value: 1n, gasLimit: 21_000n }))

t.test('getPayload right after the build starts', async (t) => {
  const executor = new CountingExecutor()
  const chain = await openChain(executor)
  const builder = new PayloadBuilder({ chain, txs: { pending: () => candidates }, logger: silent })
  t.teardown(() => builder.close())
  const parent = chain.head
  const attributes = { timestamp: parent.timestamp + 12n, feeRecipient: new Uint8Array(20).fill(0xfe), prevRandao: new Uint8Array(32), withdrawals: [], parentBeaconBlockRoot: new Uint8Array(32) }
  const id = builder.start(parent, attributes, 3)
  const payload = await builder.get(id)
  t.ok(payload !== undefined, 'a payload')
  const txs = payload!.block.transactions
  t.ok(txs.length > 0, `it carries transactions (${txs.length} of ${candidates.length})`)
  t.same(
    txs.map((tx) => bytesToHex(tx.hash())),
    candidates.slice(0, txs.length).map((tx) => bytesToHex(tx.hash())),
    'a prefix of the candidates, in order',
  )

  const seals = executor.seals
  const res = await chain.insertBlock(payload!.block, { setHead: true })
  t.equal(res.status, 'imported', 'our import accepts it')
  t.equal(executor.checks, 0, 'without executing it again (the seal is reused)')
  t.equal(executor.seals, seals, 'and without sealing again')

  const other = new CountingExecutor()
  const elsewhere = await openChain(other)
  const again = await elsewhere.insertBlock(payload!.block, { setHead: true })
  t.equal(again.status, 'imported', 'a node that did not build it executes it and accepts it')
  t.equal(other.checks, 1, 'there it is executed')
  t.equal(bytesToHex(elsewhere.head.stateRoot), bytesToHex(chain.head.stateRoot), 'to the same state root')
})

t.test('a block we did not seal is executed', async (t) => {
  const executor = new CountingExecutor()
  const chain = await openChain(executor)
  const builder = new PayloadBuilder({ chain, txs: { pending: () => candidates.slice(0, 3) }, logger: silent })
  t.teardown(() => builder.close())
  const other = await openChain(new CountingExecutor())
  const otherBuilder = new PayloadBuilder({ chain: other, txs: { pending: () => candidates.slice(0, 3) }, logger: silent })
  t.teardown(() => otherBuilder.close())
  const attributes = { timestamp: 12n, feeRecipient: new Uint8Array(20), prevRandao: new Uint8Array(32).fill(1), withdrawals: [], parentBeaconBlockRoot: new Uint8Array(32) }
  const foreign = await otherBuilder.get(otherBuilder.start(other.head, attributes, 3))
  t.equal(foreign!.block.transactions.length, 3)
  const res = await chain.insertBlock(foreign!.block, { setHead: true })
  t.equal(res.status, 'imported')
  t.equal(executor.checks, 1, 'executed once on import')
})
