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
# The default store is ./data/accounts.db: keep it on a volume.
WORKDIR /srv
VOLUME /srv/data
EXPOSE 9090
ENTRYPOINT ["node", "/app/dist/cli.js", "-hp", "0.0.0.0:9090"]
