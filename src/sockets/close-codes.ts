// Every close code this service sends, in one place (graphql-ws keeps its own in its CloseCode;
// the 44xx members here are the ones we send ourselves, with graphql-ws's numbers).
export enum CloseCode {
  /** Server stopping: reconnect (and resume with `after`). */
  GoingAway = 1001,
  /** A token expired, a client flooded messages on the legacy socket. */
  PolicyViolation = 1008,
  /** Slow consumer (legacy): reconnect with ?after=<last id>. */
  TryAgainLater = 1013,
  /** graphql-ws: no or invalid token in connection_init. */
  Unauthorized = 4401,
  /** graphql-ws: the token expired or does not allow this. */
  Forbidden = 4403,
  /** graphql-ws: no connection_init within the handshake window. */
  ConnectionInitialisationTimeout = 4408,
  /** graphql-ws: too many messages per second. */
  TooManyMessages = 4429,
}
