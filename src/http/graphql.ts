// /graphql over HTTP, in front of yoga: a POST is admitted from its headers alone — its size
// (Content-Length against HTTP_MAX_BODY_BYTES) and, with auth on, its token — before one byte
// of its body is read, so a large body without a token costs the service nothing. GraphiQL
// (GET with Accept: text/html) gets the pages' security headers and a policy of its own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearer, type Authenticator } from '../auth/tokens.js';
import { HttpError } from './errors.js';
import type { Route } from './routes.js';
import { graphiqlPolicy, inlineScriptHashes, setBaseHeaders } from './security.js';

/** What this route needs of the GraphQL server (yoga's node handler and its fetch). */
export interface GraphQLHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse): unknown;
  fetch(url: string, init: { headers: Record<string, string> }): Response | Promise<Response>;
}

export interface GraphQLRouteOptions {
  graphql: GraphQLHttpHandler;
  auth: Authenticator;
  maxBodyBytes: number;
  /** Counts refusals for stats, by reason. */
  onRefused: (reason: string) => void;
}

export const GRAPHQL_PATH = '/graphql';

export function graphqlRoute(o: GraphQLRouteOptions): Route {
  let graphiqlScripts: Promise<string[]> | undefined;
  // GraphiQL's page is the same on every load: render it once and allow exactly its inline scripts.
  const scriptsOfGraphiQL = () =>
    (graphiqlScripts ??= Promise.resolve(o.graphql.fetch(`http://localhost${GRAPHQL_PATH}`, { headers: { accept: 'text/html' } }))
      .then((r) => r.text())
      .then(inlineScriptHashes));
  return {
    method: '*',
    path: GRAPHQL_PATH,
    errors: 'graphql',
    handle: async (req, res) => {
      if (req.method === 'POST') await admitBody(o, req);
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
        setBaseHeaders(res);
        res.setHeader('content-security-policy', graphiqlPolicy(await scriptsOfGraphiQL()));
      }
      await o.graphql.handle(req, res);
    },
  };
}

async function admitBody(o: GraphQLRouteOptions, req: IncomingMessage): Promise<void> {
  const length = req.headers['content-length'];
  // Without a length the size is known only by reading: refused, as GraphQL clients always send one.
  if (length === undefined) throw new HttpError(411, 'a POST to /graphql needs a Content-Length');
  if (Number(length) > o.maxBodyBytes) {
    o.onRefused('body_too_large');
    throw new HttpError(413, `request body over HTTP_MAX_BODY_BYTES (${o.maxBodyBytes} bytes)`);
  }
  if (!o.auth.enabled) return;
  try {
    await o.auth.verify(bearer(req.headers.authorization));
  } catch (err) {
    o.onRefused('unauthorized');
    throw err;
  }
}
