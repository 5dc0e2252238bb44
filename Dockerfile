# The flex CLI as a container: `docker run IMAGE export --dest gs://...`, as a Cloud Run Job
# running `schedule --once` on a Cloud Scheduler trigger, and as the webhook delivery workers
# running `deliver` in a Cloud Run worker pool (cloudbuild.yaml deploys all three).
# Node runs the TypeScript sources directly (type stripping), so there is no build step: the
# first stage only installs production dependencies.

FROM node:24-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
USER node
# 16 MB semi-spaces keep a streaming export's RSS flat (README, Benchmark).
ENTRYPOINT ["node", "--max-semi-space-size=16", "bin/flex.js"]
CMD ["--help"]
