#!/usr/bin/env bash
# Debian 12 packages the tests drive for real: the registry, every client, PostgreSQL, slapd and
# HAProxy (in front of two replicas). mmdebstrap builds the stand-in images of the docker-compose
# test; slirp4netns gives its dockerd outbound network from a namespace of its own.
# Nothing is started or enabled here; the test harness starts what it needs on loopback ports.
set -euo pipefail
PACKAGES=(docker-registry skopeo podman containerd docker.io slapd ldap-utils postgresql docker-compose haproxy openssl ca-certificates util-linux uidmap fuse-overlayfs iptables zsh iproute2 mmdebstrap slirp4netns)
# kubectl renders deploy/kubernetes for test/integration/kubernetes.test.ts. Debian 12's is
# kubernetes-client (1.20, kustomize v2.0.3). A kubectl from elsewhere (the upstream `kubectl`
# package) owns /usr/bin/kubectl, so that one is kept rather than fought over.
command -v kubectl >/dev/null || PACKAGES+=(kubernetes-client)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  # policy-rc.d 101: packages must not start their daemons (slapd, postgresql) on a test machine.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
