// Seeded, reproducible workloads for the benchmark and for differential tests of the executors:
// named workloads (generateWorkload: genesis alloc + signed transactions for a gas target),
// randomBlockMix (small blocks mixing every known divergence source) and MixChain (the same mix as a
// chain of blocks), the bench chain (benchGenesis, benchCommon), hand-assembled contracts and the
// assembler they are written with.
export { Asm, initCode } from './asm.ts'
export * from './contracts.ts'
export { AllocBuilder, amsterdamSystemContracts, BENCH_CHAIN_ID, benchCommon, benchGenesis, DEFAULT_BENCH_GAS_LIMIT } from './genesis.ts'
export type { Alloc, ChainOptions } from './genesis.ts'
export { addressOfKey, deriveAddress, deriveKey, keccak, Rng, Signer, signHash } from './keys.ts'
export {
  DEFAULT_SEED,
  GAS_ESTIMATE,
  GAS_ESTIMATE_AMSTERDAM,
  generateWorkload,
  hybridWorkload,
  isWorkloadName,
  WORKLOAD_NAMES,
} from './named.ts'
export type { GasCost, Workload, WorkloadName, WorkloadParams } from './named.ts'
export { MIX_KINDS, MixChain, randomBlockMix } from './random-mix.ts'
export type { MixAddresses, MixBlock, MixChainBlock, MixKind, RandomMixOptions } from './random-mix.ts'
export { MAX_FEE, PRIORITY_FEE, setCodeTx, signAuthorization, signedTx } from './txs.ts'
export type { TxFields } from './txs.ts'
