# Portcullis service image: docker-compose.yml builds it.
# BASE: any image with Node 20, npm and a `node` user (uid 1000); the compose test builds on a
# Debian 13 stand-in since it cannot pull this one.
ARG BASE=node:20-bookworm-slim
FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/embedded-template.mjs ./scripts/
# The build also prepares the empty embedded cluster that a first start copies (dist/embedded-template).
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM ${BASE}
WORKDIR /app
ENV NODE_ENV=production PORTCULLIS_DATA_DIR=/var/lib/portcullis PORTCULLIS_KEYS_DIR=/var/lib/portcullis/certs
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY package.json portcullis.example.yaml ./
# Private from the start: Portcullis refuses a data directory others can write, and repairs looser
# modes. certs/ must exist in the image too: a fresh named volume mounted there (docker-compose.yml
# does) takes the image directory's owner and mode, where a missing one would come up root-owned.
RUN mkdir -p -m 0700 /var/lib/portcullis /var/lib/portcullis/certs && chown -R node:node /var/lib/portcullis
USER node
EXPOSE 5001
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:5001/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/portcullis.js"]
CMD ["serve"]
