// The errors of subscriptions and filters, with geth's messages where geth has them.
import { RpcCode, RpcError } from './errors.ts'

/** eth_subscribe over HTTP: geth's notificationsUnsupportedError. */
export class NotificationsUnsupportedError extends RpcError {
  constructor() {
    super(RpcCode.MethodNotFound, 'notifications not supported')
  }
}

/** An unknown or already removed subscription id (geth's ErrSubscriptionNotFound). */
export class SubscriptionNotFoundError extends RpcError {
  constructor() {
    super(RpcCode.Server, 'subscription not found')
  }
}

/** An unknown, expired or uninstalled filter id (geth's errFilterNotFound). */
export class FilterNotFoundError extends RpcError {
  constructor() {
    super(RpcCode.Server, 'filter not found')
  }
}

/** A cap on live filters / subscriptions, or a subscriber or filter that fell too far behind. */
export class LimitExceededError extends RpcError {
  constructor(message: string) {
    super(RpcCode.LimitExceeded, message)
  }
}
