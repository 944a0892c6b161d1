# SEANO telemetry: runs the TypeScript sources directly with tsx (a runtime dependency); only the
# dashboard's browser bundle is built (esbuild, also a runtime dependency).
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first so source edits do not invalidate this layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY public ./public
# The dashboard: its sources, the typed operations it imports, and the script that bundles it.
COPY client ./client
COPY web ./web
COPY scripts/build-web.ts ./scripts/build-web.ts
# Built here so the image serves it as is; `npm start` (prestart) rebuilds it as `node`, who owns dist/.
RUN npx tsx scripts/build-web.ts && chown -R node:node dist

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

CMD ["npm", "start"]
