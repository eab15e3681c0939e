# stoney-backup-monitor: one image for the exporter and the bridge (the subcommand picks which).
#   docker build -t stoney-backup-monitor .
#   docker run --rm -v ./deploy:/etc/stoney-backup-monitor:ro stoney-backup-monitor \
#     --config /etc/stoney-backup-monitor/config.yaml exporter
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 normally downloads a prebuilt binary; the compiler is the fallback.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# History and outbox SQLite files; a named volume mounted here inherits the owner.
RUN mkdir -p /var/lib/stoney-backup-monitor && chown node:node /var/lib/stoney-backup-monitor
USER node
EXPOSE 9851 9852
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--help"]
