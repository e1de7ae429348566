// gossipsub peer scoring for the block topic. Blocks are sparse (one per slot), so the delivery-rate
// penalties (P3, P3b) are off; what matters is P4: every REJECTed message costs the sender
// weight × count² (decaying slowly), so a few invalid blocks push it under the gossip threshold and
// more under the graylist threshold. Our own reject counter (limits.maxRejectsPerPeer) disconnects
// it before that. Time in mesh and first deliveries give honest peers a small positive score.
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

export const INVALID_MESSAGE_WEIGHT = -10

export function blockTopicScoreParams(): TopicScoreParams {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 1,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    // Per decay interval (1 s): a reject is mostly forgotten after ~1 h.
    invalidMessageDeliveriesDecay: 0.999,
  }
}

export function peerScoreParams(topic: string): Partial<PeerScoreParams> {
  return {
    topics: { [topic]: blockTopicScoreParams() },
    topicScoreCap: 20,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 10 * 60_000,
  }
}

export const PEER_SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  gossipThreshold: -50,
  publishThreshold: -100,
  graylistThreshold: -400,
  acceptPXThreshold: 5,
  opportunisticGraftThreshold: 3,
}
