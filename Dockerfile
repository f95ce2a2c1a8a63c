# Same steps as the README: npm ci, build, run dist/cli.js.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
VOLUME /data
EXPOSE 9090
ENTRYPOINT ["node", "dist/cli.js", "-hp", "0.0.0.0:9090", "-dir", "/data/jwt", "--shard"]
