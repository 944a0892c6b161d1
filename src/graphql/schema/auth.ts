// Mutation.renewToken (SPEC §9): a client renews its token before it expires without
// reconnecting. Sent on a graphql-ws socket it moves that socket's expiry and scope to the new
// token (an invalid one closes the socket with 4403); over HTTP it only says what the token is.
import { expiryOf, type Principal } from '../../auth/tokens.js';
import { builder } from '../builder.js';

builder.mutationType({});

const TokenRenewalRef = builder.objectRef<Principal>('TokenRenewal').implement({
  description: 'The token now in force on this socket (over HTTP: the token checked).',
  fields: (t) => ({
    expiresAt: t.field({ type: 'DateTime', nullable: true, description: 'null: auth is off, nothing expires', resolve: (p) => expiryOf(p) }),
    vehicles: t.field({ type: ['Int'], nullable: true, description: 'The vehicles it may see; null: all', resolve: (p) => (p.scope ? [...p.scope] : null) }),
  }),
});

builder.mutationField('renewToken', (t) =>
  t.field({
    type: TokenRenewalRef,
    description: 'On a graphql-ws socket: its expiry and scope from now on are this token\'s; subscriptions on vehicles it leaves out end with FORBIDDEN. Over HTTP: checks the token.',
    args: { token: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.renewToken(args.token),
  }),
);
