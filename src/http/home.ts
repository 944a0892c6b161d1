// The page at `/`: where to go from here.
export function homePage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>SEANO telemetry</title></head><body style="font-family:system-ui;max-width:40rem;margin:2rem auto;padding:0 1rem">
<h1>SEANO telemetry</h1>
<ul>
<li><a href="/graphql">GraphiQL</a>: queries and subscriptions (<code>/graphql</code>, graphql-ws and SSE)</li>
<li><code>ws://…/api/ws</code> and <code>/api/ws/vehicle/{id}</code>: the original JSON stream</li>
<li><a href="/ws-test">/ws-test</a>: the legacy WebSocket test client</li>
<li><a href="/api/ws/stats">/api/ws/stats</a>: connections and message counts</li>
<li><a href="/readyz">/readyz</a>: database and broker reachable</li>
</ul></body></html>`;
}
