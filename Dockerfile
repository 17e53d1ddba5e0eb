# hubspot-triage: the service as a container. Node 24 LTS, production dependencies only, a non-root user, and a
# HEALTHCHECK on the readiness probe. No build step: tsx (a runtime dependency) runs the TypeScript sources.
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY bin ./bin
COPY drizzle ./drizzle
COPY src ./src
COPY tsconfig.json ./

# The image's `node` user (uid 1000); the app files stay root-owned and read-only to it.
USER node
EXPOSE 8080

HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# exec form: node is PID 1 and receives SIGTERM itself (graceful drain, docs/operations.md).
CMD ["node", "--import", "tsx", "src/main.ts", "serve"]
