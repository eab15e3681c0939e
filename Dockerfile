# stoney-backup-monitor: one image for the exporter and the bridge (the subcommand picks which).
#   docker build -t stoney-backup-monitor .
#   docker run --rm -v ./deploy:/etc/stoney-backup-monitor:ro stoney-backup-monitor \
#     --config /etc/stoney-backup-monitor/config.yaml exporter
# Node.js 24 LTS (maintained until April 2028); the program itself also runs on Node 20 and 22.
FROM node:24-bookworm-slim AS build
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

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/healthcheck.mjs ./healthcheck.mjs
# History and outbox SQLite files; a named volume mounted here inherits the owner.
RUN mkdir -p /var/lib/stoney-backup-monitor && chown node:node /var/lib/stoney-backup-monitor
USER node
EXPOSE 9851 9852
# Healthy once the role's /readyz answers: the exporter after its first collection, the bridge
# while its outbox is writable. The first collection of a large tree can take minutes.
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 CMD ["node", "healthcheck.mjs"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--help"]
