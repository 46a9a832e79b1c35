# One image for every queue-mode role: `fazhi worker`, the writer, and the CLI.
# Native modules (nodejieba, hnswlib-node, better-sqlite3) compile in the full image, which has
# python3, make and g++; the runtime image only gets the result.
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    FAZHI_DATA_DIR=/data \
    REDIS_URL=redis://redis:6379
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# `fazhi` on PATH; TypeScript runs through tsx (a runtime dependency), so there is no build step.
RUN chmod +x bin/fazhi.js && ln -s /app/bin/fazhi.js /usr/local/bin/fazhi
VOLUME ["/data"]
ENTRYPOINT ["fazhi"]
CMD ["--help"]
