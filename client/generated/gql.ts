/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment LogFields on Log {\n    __typename\n    id\n    vehicleId\n    type\n    timestamp\n    receivedAt\n    ... on RawLog { message }\n    ... on SensorLog { sensorId data }\n    ... on VehicleLog {\n      batteryVoltage batteryCurrent rssi mode latitude longitude heading armed guided systemStatus speed data\n    }\n  }\n": typeof types.LogFieldsFragmentDoc,
    "\n  query Logs($vehicleId: Int, $types: [LogType!], $sensorId: Int, $from: DateTime, $to: DateTime,\n             $first: Int, $after: String, $last: Int, $before: String) {\n    logs(vehicleId: $vehicleId, types: $types, sensorId: $sensorId, from: $from, to: $to,\n         first: $first, after: $after, last: $last, before: $before) {\n      edges { cursor node { ...LogFields } }\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n    }\n  }\n": typeof types.LogsDocument,
    "\n  query Vehicles {\n    vehicles { id firstSeenAt lastSeenAt latestTelemetry { ...LogFields } }\n  }\n": typeof types.VehiclesDocument,
    "\n  query Stats {\n    stats {\n      activeConnections legacyConnections graphqlConnections activeSubscriptions\n      messagesReceived messagesStored messagesRejected messagesDuplicate ingestBacklog uptimeSeconds\n    }\n  }\n": typeof types.StatsDocument,
    "\n  subscription LiveLogs($vehicleId: Int, $types: [LogType!], $after: ID) {\n    logs(vehicleId: $vehicleId, types: $types, after: $after) { ...LogFields }\n  }\n": typeof types.LiveLogsDocument,
};
const documents: Documents = {
    "\n  fragment LogFields on Log {\n    __typename\n    id\n    vehicleId\n    type\n    timestamp\n    receivedAt\n    ... on RawLog { message }\n    ... on SensorLog { sensorId data }\n    ... on VehicleLog {\n      batteryVoltage batteryCurrent rssi mode latitude longitude heading armed guided systemStatus speed data\n    }\n  }\n": types.LogFieldsFragmentDoc,
    "\n  query Logs($vehicleId: Int, $types: [LogType!], $sensorId: Int, $from: DateTime, $to: DateTime,\n             $first: Int, $after: String, $last: Int, $before: String) {\n    logs(vehicleId: $vehicleId, types: $types, sensorId: $sensorId, from: $from, to: $to,\n         first: $first, after: $after, last: $last, before: $before) {\n      edges { cursor node { ...LogFields } }\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n    }\n  }\n": types.LogsDocument,
    "\n  query Vehicles {\n    vehicles { id firstSeenAt lastSeenAt latestTelemetry { ...LogFields } }\n  }\n": types.VehiclesDocument,
    "\n  query Stats {\n    stats {\n      activeConnections legacyConnections graphqlConnections activeSubscriptions\n      messagesReceived messagesStored messagesRejected messagesDuplicate ingestBacklog uptimeSeconds\n    }\n  }\n": types.StatsDocument,
    "\n  subscription LiveLogs($vehicleId: Int, $types: [LogType!], $after: ID) {\n    logs(vehicleId: $vehicleId, types: $types, after: $after) { ...LogFields }\n  }\n": types.LiveLogsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LogFields on Log {\n    __typename\n    id\n    vehicleId\n    type\n    timestamp\n    receivedAt\n    ... on RawLog { message }\n    ... on SensorLog { sensorId data }\n    ... on VehicleLog {\n      batteryVoltage batteryCurrent rssi mode latitude longitude heading armed guided systemStatus speed data\n    }\n  }\n"): (typeof documents)["\n  fragment LogFields on Log {\n    __typename\n    id\n    vehicleId\n    type\n    timestamp\n    receivedAt\n    ... on RawLog { message }\n    ... on SensorLog { sensorId data }\n    ... on VehicleLog {\n      batteryVoltage batteryCurrent rssi mode latitude longitude heading armed guided systemStatus speed data\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Logs($vehicleId: Int, $types: [LogType!], $sensorId: Int, $from: DateTime, $to: DateTime,\n             $first: Int, $after: String, $last: Int, $before: String) {\n    logs(vehicleId: $vehicleId, types: $types, sensorId: $sensorId, from: $from, to: $to,\n         first: $first, after: $after, last: $last, before: $before) {\n      edges { cursor node { ...LogFields } }\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n    }\n  }\n"): (typeof documents)["\n  query Logs($vehicleId: Int, $types: [LogType!], $sensorId: Int, $from: DateTime, $to: DateTime,\n             $first: Int, $after: String, $last: Int, $before: String) {\n    logs(vehicleId: $vehicleId, types: $types, sensorId: $sensorId, from: $from, to: $to,\n         first: $first, after: $after, last: $last, before: $before) {\n      edges { cursor node { ...LogFields } }\n      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Vehicles {\n    vehicles { id firstSeenAt lastSeenAt latestTelemetry { ...LogFields } }\n  }\n"): (typeof documents)["\n  query Vehicles {\n    vehicles { id firstSeenAt lastSeenAt latestTelemetry { ...LogFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Stats {\n    stats {\n      activeConnections legacyConnections graphqlConnections activeSubscriptions\n      messagesReceived messagesStored messagesRejected messagesDuplicate ingestBacklog uptimeSeconds\n    }\n  }\n"): (typeof documents)["\n  query Stats {\n    stats {\n      activeConnections legacyConnections graphqlConnections activeSubscriptions\n      messagesReceived messagesStored messagesRejected messagesDuplicate ingestBacklog uptimeSeconds\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription LiveLogs($vehicleId: Int, $types: [LogType!], $after: ID) {\n    logs(vehicleId: $vehicleId, types: $types, after: $after) { ...LogFields }\n  }\n"): (typeof documents)["\n  subscription LiveLogs($vehicleId: Int, $types: [LogType!], $after: ID) {\n    logs(vehicleId: $vehicleId, types: $types, after: $after) { ...LogFields }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;