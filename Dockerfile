# FixOps operator image: `docker build -t ghcr.io/fixops/fixops-operator:0.1.0 .`
# Build stage compiles TypeScript to dist/; the runtime stage is distroless Node 20, non-root,
# with only production dependencies. The entry point is the `fixops` CLI (default: `operator`).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# The source folders tsconfig.build.json compiles (test/packaging/dockerfile.test.ts keeps this list whole).
COPY api/ api/
COPY engine/ engine/
COPY operator/ operator/
COPY controllers/ controllers/
COPY webhooks/ webhooks/
COPY connectors/ connectors/
COPY store/ store/
COPY cli/ cli/
COPY outbox/ outbox/
COPY feeds/ feeds/
COPY remediation/ remediation/
RUN npm run build && npm prune --omit=dev

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY crds/ ./crds/
USER 65532:65532
EXPOSE 8080 9443
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]
CMD ["operator"]
