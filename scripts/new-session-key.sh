#!/usr/bin/env bash
# Writes a new ES256 session key pair into DIR: session-signing.pem (auth's private key, PKCS#8) and
# session-public.pem (what every service validates with). Used by deploy/k8s/dev-secrets.sh and by the key rotation
# in docs/operations.md (KeyRotationTests runs it).
# Usage: scripts/new-session-key.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/new-session-key.sh DIR}
mkdir -p "$dir"
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$dir/session-signing.pem"
openssl ec -in "$dir/session-signing.pem" -pubout -out "$dir/session-public.pem" 2>/dev/null
