// The dashboard's view of a log: the generated type of the LogFields fragment, so a schema change
// that breaks the page fails `tsc` instead of a browser.
import type { LogFieldsFragment } from '../../client/generated/graphql.js';

export type Log = LogFieldsFragment;
export type VehicleLog = Extract<Log, { __typename: 'VehicleLog' }>;
export type SensorLog = Extract<Log, { __typename: 'SensorLog' }>;
