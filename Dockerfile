# Same steps as the README: npm ci (better-sqlite3 builds from source when no prebuilt binary
# can be fetched, hence the compiler), build, run dist/cli.js.
FROM node:20-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/
COPY --from=build /app/node_modules /app/node_modules
COPY --from=build /app/dist /app/dist
# Runs as the image's unprivileged "node" user (uid 1000); the default store
# ./data/accounts.db lives on a volume it owns.
WORKDIR /srv
RUN mkdir -p /srv/data && chown node:node /srv/data
USER node
VOLUME /srv/data
EXPOSE 9090
# The production settings of the README.
ENV NATS_ACCOUNTS_HTTP_HOST=0.0.0.0 NATS_ACCOUNTS_LOG_FORMAT=json
# Liveness from /healthz with the node already in the image, on the address the settings above
# (or -e NATS_ACCOUNTS_HTTP_HOST/_PORT/_TLS_CERT) give; a port given with -hp is not seen here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD node --no-warnings -e "\
  const env = process.env, tls = Boolean(env.NATS_ACCOUNTS_HTTP_TLS_CERT), host = env.NATS_ACCOUNTS_HTTP_HOST;\
  if (tls) env.NODE_TLS_REJECT_UNAUTHORIZED = '0';\
  const target = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? '[' + host + ']' : host;\
  fetch((tls ? 'https://' : 'http://') + target + ':' + (env.NATS_ACCOUNTS_HTTP_PORT || 9090) + '/healthz')\
    .then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=20", "/app/dist/cli.js"]
