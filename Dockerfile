# syntax=docker/dockerfile:1
# elf — multi-stage image: build with dev dependencies, run with production dependencies only.
# Node.js 24, the active LTS line (Node 20 reached end of life in April 2026); elf itself runs on Node >= 20
ARG NODE_IMAGE=docker.io/library/node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY data ./data
# the fleet state (./misc) and the stand-in's state (./.elf) live in /app, owned by the non-root user
RUN mkdir -p /app/misc /app/.elf && chown -R node:node /app/misc /app/.elf
USER node
ENTRYPOINT ["node", "/app/bin/elf.js"]
CMD ["--help"]
