import { GraphQLError } from 'graphql';

export const badInput = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/** Asking for a vehicle outside the token's scope is refused, not answered with nothing. */
export function checkScope(scope: readonly number[] | undefined, vehicleId: number | null | undefined): void {
  if (scope !== undefined && vehicleId !== null && vehicleId !== undefined && !scope.includes(vehicleId)) {
    throw new GraphQLError(`vehicle ${vehicleId} is outside this token's scope`, { extensions: { code: 'FORBIDDEN' } });
  }
}
