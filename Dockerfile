# patchbay container images (docs: README "Docker").
#
#   docker build -t patchbay .                       the gateway (target runtime, the default)
#   docker build --target demo -t patchbay-demo .     the offline demo: the gateway and the fake
#                                                      platforms in one container (compose.yaml)
#
# Stage build compiles a Release build and the Debian package of the runtime (cpack, with
# dpkg-shlibdeps computing its dependencies); stage runtime installs that package on a slim
# Debian, so the image carries exactly the shared libraries the binaries link. The gateway runs as
# the unprivileged user `patchbay`; its state lives in the volume /var/lib/patchbay.

FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
      build-essential cmake ninja-build pkg-config ca-certificates file dpkg-dev \
      libboost1.81-dev libboost-json1.81-dev libboost-filesystem1.81-dev \
      libssl-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake --preset release -DCMAKE_INSTALL_PREFIX=/usr \
 && cmake --build --preset release -j "$(nproc)" \
 && mkdir -p /out \
 && (cd build-release && cpack --config CPackConfig.cmake -G DEB -B /out) \
 && ls -l /out/*.deb

FROM debian:bookworm-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/patchbay_*.deb /tmp/
# curl is for the health check; the package brings the libraries the binaries need.
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends ca-certificates curl /tmp/patchbay_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/patchbay_*.deb \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/patchbay \
      --shell /usr/sbin/nologin patchbay \
 && mkdir -p /var/lib/patchbay \
 && chown patchbay:patchbay /var/lib/patchbay
COPY packaging/docker/patchbay.yaml /etc/patchbay/patchbay.yaml
VOLUME ["/var/lib/patchbay"]
USER patchbay
WORKDIR /var/lib/patchbay
EXPOSE 8780
# /healthz answers while the process serves its API (docs/architecture.md, health endpoints).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS --max-time 2 http://127.0.0.1:8780/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/patchbay"]
CMD ["run", "-c", "/etc/patchbay/patchbay.yaml"]

# The offline demo (tools/demo-run.sh): the fake Feishu/Lark, iLink and NyxID servers and the
# gateway on examples/patchbay.yaml, one message per platform answered there, then it keeps
# running. `docker compose up demo`; `docker compose exec demo patchbay status`.
FROM runtime AS demo
USER root
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends jq procps \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build-release/bin /opt/patchbay-demo/build/bin
COPY --from=build /src/build-release/lib /opt/patchbay-demo/build/lib
COPY tools/demo-run.sh /opt/patchbay-demo/tools/demo-run.sh
COPY examples/patchbay.yaml /opt/patchbay-demo/examples/patchbay.yaml
RUN mkdir -p /var/lib/patchbay/demo && chown -R patchbay:patchbay /var/lib/patchbay
USER patchbay
ENV PATH=/opt/patchbay-demo/build/bin:$PATH
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS --max-time 2 http://127.0.0.1:8780/healthz/channels || exit 1
ENTRYPOINT ["/opt/patchbay-demo/tools/demo-run.sh", "/opt/patchbay-demo/build"]
CMD ["--run-dir", "/var/lib/patchbay/demo"]
