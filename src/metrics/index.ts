// src/metrics: Prometheus metrics. `createMetrics()` builds a private registry with typed helpers the
// node calls (head, Engine API and RPC latency, block execution, executor, txpool, p2p, database
// size); `startMetricsServer()` serves it on --metrics.addr:--metrics.port at /metrics and at geth's
// /debug/metrics/prometheus.
export * from './metrics.ts'
export * from './server.ts'
export { dirSize } from './dir-size.ts'
