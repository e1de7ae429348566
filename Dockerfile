# Parallax container image.
#
#   docker build -t parallax:local .
#   docker run --rm parallax:local --version
#   docker run -d -v px-data:/data -p 8545:8545 -p 8551:8551 parallax:local \
#     node --datadir /data --http --http.addr 0.0.0.0 --authrpc.addr 0.0.0.0
#
# Two stages on the same base (so native addons match the runtime's Node ABI): `build` compiles the
# production dependencies (secp256k1, c-kzg and classic-level are node-gyp addons, hence python3, make
# and g++); the runtime stage gets the sources plus that node_modules and no compiler. There is no
# build step for the sources: bin/parallax.js loads the TypeScript through tsx, which is a regular
# (production) dependency in package.json.
ARG NODE_IMAGE=node:20-slim

# --- build: production node_modules, native addons compiled -----------------------------------------
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp takes the headers of the Node it builds for from the image (/usr/local/include/node)
# instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY bin ./bin
COPY config ./config
COPY src ./src
# Smoke test inside the build: fails the image build when a production dependency is missing.
RUN node bin/parallax.js --version

# --- runtime ------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
# `parallax` on PATH; /data is the conventional datadir, owned by the image's unprivileged `node` user
# (uid 1000, part of the base image). The app files stay root-owned and read-only to that user.
RUN ln -s /app/bin/parallax.js /usr/local/bin/parallax \
 && mkdir -p /data \
 && chown node:node /data
USER node
VOLUME ["/data"]
# 8545 HTTP JSON-RPC, 8546 WebSocket JSON-RPC, 8551 Engine API, 30303 libp2p (TCP), 9001 metrics.
EXPOSE 8545 8546 8551 30303 9001
ENTRYPOINT ["node", "/app/bin/parallax.js"]
CMD ["--help"]
