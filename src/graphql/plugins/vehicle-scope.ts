// The vehicle scope, applied once for every field: an argument named `vehicleId` (or marked with
// VEHICLE_ID_ARG, like `vehicle(id:)`) is checked before the resolver or subscription runs — a
// vehicle outside the token's scope is FORBIDDEN (SPEC §7), an id outside 1..MAX_VEHICLE_ID is
// BAD_USER_INPUT. Resolvers never call a check by hand; filters over many vehicles use `allows`.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { GraphQLError } from 'graphql';
import { allows } from '../../auth/tokens.js';
import { MAX_VEHICLE_ID } from '../../logs/params.js';
import { badInput } from '../errors.js';

const pluginName = 'vehicleScope';
export default pluginName;

/** Extensions of an argument that holds a vehicle id under another name. */
export const VEHICLE_ID_ARG = { vehicleId: true } as const;

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      vehicleScope: VehicleScopePlugin<Types>;
    }
  }
}

type Resolver<Types extends SchemaTypes> = GraphQLFieldResolver<unknown, Types['Context'], object>;

/** Refuses a vehicle id that is out of range or outside the caller's scope. */
export function checkVehicle(scope: readonly number[] | undefined, name: string, vehicleId: number): void {
  if (vehicleId < 1 || vehicleId > MAX_VEHICLE_ID) throw badInput(`${name} must be between 1 and ${MAX_VEHICLE_ID}, got ${vehicleId}`);
  if (!allows(scope, vehicleId)) {
    throw new GraphQLError(`vehicle ${vehicleId} is outside this token's scope`, { extensions: { code: 'FORBIDDEN' } });
  }
}

function vehicleArgs<Types extends SchemaTypes>(field: PothosOutputFieldConfig<Types>): string[] {
  return Object.values(field.args)
    .filter((a) => a.name === 'vehicleId' || a.extensions?.vehicleId === true)
    .map((a) => a.name);
}

function guarded<Types extends SchemaTypes>(names: string[], next: Resolver<Types>): Resolver<Types> {
  return (parent, args, ctx, info) => {
    const scope = (ctx as { scope?: readonly number[] }).scope;
    for (const name of names) {
      const value = (args as Record<string, unknown>)[name];
      if (typeof value === 'number') checkVehicle(scope, name, value);
    }
    return next(parent, args, ctx, info);
  };
}

export class VehicleScopePlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: Resolver<Types>, field: PothosOutputFieldConfig<Types>): Resolver<Types> {
    if (field.kind === 'Subscription') return resolver; // checked once, in wrapSubscribe, not per event
    const names = vehicleArgs(field);
    return names.length ? guarded(names, resolver) : resolver;
  }

  override wrapSubscribe(subscribe: Resolver<Types> | undefined, field: PothosOutputFieldConfig<Types>): Resolver<Types> | undefined {
    const names = vehicleArgs(field);
    return subscribe && names.length ? guarded(names, subscribe) : subscribe;
  }
}

SchemaBuilder.registerPlugin(pluginName, VehicleScopePlugin);
