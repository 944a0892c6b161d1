// What GraphiQL opens with: one query and one subscription to try.
export const EXAMPLE_OPERATIONS = `# SEANO telemetry: run a query, or start the subscription and publish with \`npm run simulate\`.

query LatestLogs {
  logs(vehicleId: 1, last: 10) {
    edges { cursor node { id vehicleId type timestamp
      ... on RawLog { message }
      ... on SensorLog { sensorId data }
      ... on VehicleLog { batteryVoltage mode latitude longitude speed } } }
    pageInfo { hasPreviousPage startCursor endCursor }
  }
  vehicles { id lastSeenAt latestTelemetry { batteryVoltage mode armed } }
  stats { activeConnections messagesReceived messagesStored messagesRejected }
}

subscription LiveLogs {
  logs(vehicleId: 1) {
    id type timestamp
    ... on VehicleLog { batteryVoltage latitude longitude heading speed }
    ... on SensorLog { sensorId data }
    ... on RawLog { message }
  }
}
`;
