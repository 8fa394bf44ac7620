# One image serves three roles: the GitHub Docker action (a release's
# action.yml pulls it from ghcr.io pinned by digest; main's action.yml
# builds this file), the GitLab CI job image and the Jenkins stage image.

# The builder runs on the build machine's own platform and cross-compiles,
# so multi-platform release builds do not run the Go compiler under QEMU.
# BUILDPLATFORM is set only by BuildKit. The legacy builder leaves it
# empty and would fail with "failed to parse platform"; there the
# fallback "linux" is parsed as linux on the daemon's own architecture, so
# an arm64 host builds natively with either builder. A default on a global
# ARG BUILDPLATFORM would not do: BuildKit lets a declared default replace
# its automatic value, which would force that platform (and emulation).
FROM --platform=${BUILDPLATFORM:-linux} golang:1.26-alpine AS builder
WORKDIR /src
# Modules first: this layer stays cached while only the source changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Set by BuildKit to the platform being built. The legacy builder leaves
# them empty and builds only for its own platform: an empty GOARCH makes Go
# compile for the builder's, which is the daemon's, architecture.
ARG TARGETOS
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/docketqa-gate/docketqa-gate/internal/version.version=${VERSION}" \
      -o /out/docketqa-gate .

# Alpine rather than scratch or distroless-static: GitLab's Docker executor
# runs the job script with the image's /bin/sh (jobs set entrypoint [""]),
# and Jenkins' docker.image().inside keeps the container alive with `cat`
# and runs steps through sh. The static binary itself needs only the CA
# certificates for HTTPS. The minor tag is pinned so the userland does not
# jump releases under users, while still receiving 3.22.x security fixes.
FROM alpine:3.22
RUN apk add --no-cache ca-certificates
COPY --from=builder /out/docketqa-gate /usr/local/bin/docketqa-gate
# The Apache-2.0 licence travels with the binary it covers.
COPY LICENSE /usr/share/licenses/docketqa-gate/LICENSE
# Declared after the file layers, so a new version or commit changes only
# the image configuration. The release passes the version it tags and the
# commit it built from.
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="docketqa-gate" \
      org.opencontainers.image.description="Run DocketQA browser-test blueprints and gate CI on the outcome" \
      org.opencontainers.image.source="https://github.com/docketqa-gate/docketqa-gate" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# No USER: GitHub requires Docker actions to run as root to write to the
# workspace and file-command files it mounts. No WORKDIR: GitHub sets the
# working directory to the workspace itself.
ENTRYPOINT ["/usr/local/bin/docketqa-gate"]
