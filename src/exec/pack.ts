// Worker replies with their bytes in one buffer. A structured clone gives every Uint8Array it
// copies a backing store of its own (an allocation, and work for the receiving thread's garbage
// collector); views of one ArrayBuffer are cloned as one buffer and cheap views. Measured on a
// batch of 4 effects (~80 arrays): 58 -> 21 us to receive on the main thread (tmp benchmark,
// receiveMessageOnPort).

/**
 * `value` with every Uint8Array inside arrays and plain objects (any depth) replaced by a view of
 * one new buffer holding copies of their bytes. Other values (numbers, bigints, strings, Maps, class
 * instances) are kept as they are; `value` itself is not changed.
 */
export function packBytes<T>(value: T): T {
  let total = 0
  const measure = (v: unknown): void => {
    if (v instanceof Uint8Array) total += v.length
    else if (Array.isArray(v)) for (const x of v) measure(x)
    else if (isPlainObject(v)) for (const k in v) measure(v[k])
  }
  measure(value)
  const buf = new Uint8Array(total)
  let off = 0
  const copy = (v: unknown): unknown => {
    if (v instanceof Uint8Array) {
      buf.set(v, off)
      off += v.length
      return buf.subarray(off - v.length, off)
    }
    if (Array.isArray(v)) return v.map(copy)
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {}
      for (const k in v) out[k] = copy(v[k])
      return out
    }
    return v
  }
  return copy(value) as T
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}
