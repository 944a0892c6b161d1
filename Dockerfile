# SEANO telemetry: compiled in a build stage (tsc → dist/, the dashboard's bundle → dist/web/) and
# run as JavaScript with node: no TypeScript compiler at run time, so less memory and a faster start.
FROM node:20-bookworm-slim AS build

ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first so source edits do not invalidate this layer.
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build, and the sources are copied after (layer caching).
RUN npm ci --ignore-scripts

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY public ./public
# The dashboard: its sources, the typed operations it imports, and the script that bundles it.
COPY client ./client
COPY web ./web
COPY scripts/build-web.ts ./scripts/build-web.ts
RUN npm run build

FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# What the service reads at run time: the compiled service with its assets, the dashboard's
# bundle (both in dist/), and public/ (favicon, /ws-test). Found from package.json's directory.
COPY public ./public
COPY --from=build /app/dist ./dist

# DATA_DIR holds the embedded PGlite database when DATABASE_URL is unset; it must be writable by `node`.
RUN mkdir -p /app/data && chown node:node /app/data

ENV PORT=8000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data

USER node

EXPOSE 8000

# No curl in the slim image: Node 20's global fetch does the probe. Honours a PORT override.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# node directly, not npm: SIGTERM reaches the service itself, which stops cleanly (src/main.ts).
CMD ["node", "dist/main.js"]
