# syntax=docker/dockerfile:1
# One image definition for every process of leadflow; docker-compose.yml picks a target per service:
#   api (the default), worker, web, migrate, simulator.
# Node 24 runs the TypeScript sources directly (type stripping), so only the web app has a build step.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
# Install scripts are not needed: native add-ons (esbuild, rolldown, msgpackr) come as prebuilt optional packages,
# and the `node` dev dependency's script would only download a second Node.
ENV NPM_CONFIG_IGNORE_SCRIPTS=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# The manifests alone, so the dependency layers are cached until a package.json or the lockfile changes.
FROM base AS manifests
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY functions/package.json functions/
COPY web/package.json web/

# Every dependency, dev ones included, to build the SvelteKit app (adapter-node output in web/build).
FROM manifests AS build
RUN npm ci
COPY . .
RUN npm run build --workspace web && npm run build:widget

# Production dependencies only: what core and functions import at run time.
FROM manifests AS prod-deps
RUN npm ci --omit=dev && npm cache clean --force

FROM base AS runtime
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY core ./core
COPY functions ./functions
COPY web/package.json ./web/package.json
COPY --from=build /app/web/build ./web/build
COPY --from=build /app/widget/dist ./widget/dist
# The code stays owned by root and read-only to the process: it runs as the image's unprivileged `node` user.
USER node

FROM runtime AS migrate
CMD ["node", "core/db/migrate.ts"]

FROM runtime AS worker
EXPOSE 9464
CMD ["node", "functions/worker/main.ts"]

FROM runtime AS simulator
ENV SIMULATOR_HOST=0.0.0.0
EXPOSE 4010
CMD ["node", "functions/simulator/main.ts"]

FROM runtime AS web
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
CMD ["node", "web/build/index.js"]

FROM runtime AS api
EXPOSE 3000
CMD ["node", "functions/api/main.ts"]
