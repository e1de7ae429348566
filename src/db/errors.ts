import { ParallaxError } from '../util/errors.ts'

/** The store failed (I/O, corruption): our fault, never a block's. */
export class StorageError extends ParallaxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE', message, options)
  }
}
