#!/usr/bin/env bash
# Writes a new RS256 session key pair (RSA, 2048 bits) into DIR: session-signing.pem (auth's private key, PKCS#8) and
# session-public.pem (what every service validates with). RSA rather than P-256: every request to every service checks
# a signature, and an RS256 check costs about a third of an ES256 one; only auth signs (SessionKeyPem in ServiceDefaults). Used by deploy/k8s/dev-secrets.sh and by the key rotation
# in docs/operations.md (KeyRotationTests runs it).
# Usage: scripts/new-session-key.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/new-session-key.sh DIR}
mkdir -p "$dir"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/session-signing.pem" 2>/dev/null
openssl pkey -in "$dir/session-signing.pem" -pubout -out "$dir/session-public.pem"
