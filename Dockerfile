# privacy-pages: one static binary in an otherwise empty image.
#
#   docker build -t privacy-pages .
#   docker run --rm --read-only -p 8080:8080 privacy-pages
#
# Stages: `builder` compiles a static musl binary; `runtime` is FROM scratch
# around it. `--build-arg BINARY_FROM=prebuilt` takes the binary from the
# build context (target/x86_64-unknown-linux-musl/release/) instead, as the
# test suite does on machines that cannot pull the Rust image.

ARG BINARY_FROM=builder

FROM docker.io/library/rust:1.95-slim-bookworm AS builder
# musl-gcc: zstd (a response coding) is C, built for the static target.
# Debian's package as the release ships it, not pinned to one build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY templates ./templates
COPY content ./content
COPY static ./static
COPY benches ./benches
COPY examples ./examples
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin privacy-pages \
    && mkdir -p /out \
    && cp target/x86_64-unknown-linux-musl/release/privacy-pages /out/privacy-pages

FROM scratch AS prebuilt
COPY target/x86_64-unknown-linux-musl/release/privacy-pages /out/privacy-pages

# hadolint ignore=DL3006
FROM ${BINARY_FROM} AS binary

FROM scratch AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="privacy-pages" \
      org.opencontainers.image.description="Serves a site's privacy policies and makes their opt-out links work." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.source="https://github.com/privacy-pages/privacy-pages"
# No shell, no libc, no package manager: the binary, its content, and a
# user to run as. Nothing is written at run time, so --read-only works.
COPY docker/passwd docker/group /etc/
COPY --from=binary /out/privacy-pages /privacy-pages
COPY content /content
USER 10001:10001
ENV PRIVACY_PAGES_LISTEN=0.0.0.0:8080 \
    PRIVACY_PAGES_CONTENT=/content
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/privacy-pages", "healthcheck"]
# The binary handles SIGTERM (it is PID 1): in-flight requests finish within
# PRIVACY_PAGES_SHUTDOWN_GRACE_SECS (10 s), under the default `docker stop` timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/privacy-pages"]
CMD ["serve"]
