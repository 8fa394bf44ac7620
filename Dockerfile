# One image serves three roles: the GitHub Docker action (built from this
# file on every job), the GitLab CI job image and the Jenkins stage image
# (both pulled from ghcr.io).

# The builder runs on the build machine's own platform and cross-compiles,
# so multi-platform release builds do not run the Go compiler under QEMU.
FROM --platform=$BUILDPLATFORM golang:1.26-alpine AS builder
WORKDIR /src
# Modules first: this layer stays cached while only the source changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
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
LABEL org.opencontainers.image.title="docketqa-gate" \
      org.opencontainers.image.description="Run DocketQA browser-test blueprints and gate CI on the outcome" \
      org.opencontainers.image.source="https://github.com/docketqa-gate/docketqa-gate" \
      org.opencontainers.image.licenses="Apache-2.0"
# No USER: GitHub requires Docker actions to run as root to write to the
# workspace and file-command files it mounts. No WORKDIR: GitHub sets the
# working directory to the workspace itself.
ENTRYPOINT ["/usr/local/bin/docketqa-gate"]
