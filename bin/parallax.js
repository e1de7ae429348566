#!/usr/bin/env node
// The `parallax` executable: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api'

// Node 20 lacks Promise.withResolvers, which libp2p 3 calls.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve
      let reject
      const promise = new this((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    },
  })
}

register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
