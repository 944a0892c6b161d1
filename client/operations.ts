// The operations the project's own clients use (tests, dashboard, examples). `npm run codegen`
// turns each into a TypedDocumentNode with result and variable types in client/generated/.
import { graphql } from './generated/gql.js';

export const LogFieldsFragment = graphql(`
  fragment LogFields on Log {
    __typename
    id
    vehicleId
    type
    timestamp
    receivedAt
    ... on RawLog { message }
    ... on SensorLog { sensorId data }
    ... on VehicleLog {
      batteryVoltage batteryCurrent rssi mode latitude longitude heading armed guided systemStatus speed data
    }
  }
`);

export const LogsQuery = graphql(`
  query Logs($vehicleId: Int, $types: [LogType!], $sensorId: Int, $from: DateTime, $to: DateTime,
             $first: Int, $after: String, $last: Int, $before: String) {
    logs(vehicleId: $vehicleId, types: $types, sensorId: $sensorId, from: $from, to: $to,
         first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { ...LogFields } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`);

export const VehiclesQuery = graphql(`
  query Vehicles {
    vehicles { id firstSeenAt lastSeenAt latestTelemetry { ...LogFields } }
  }
`);

export const StatsQuery = graphql(`
  query Stats {
    stats {
      activeConnections legacyConnections graphqlConnections activeSubscriptions
      messagesReceived messagesStored messagesRejected messagesDuplicate ingestBacklog uptimeSeconds
    }
  }
`);

export const LogsSubscription = graphql(`
  subscription LiveLogs($vehicleId: Int, $types: [LogType!], $after: ID) {
    logs(vehicleId: $vehicleId, types: $types, after: $after) { ...LogFields }
  }
`);
