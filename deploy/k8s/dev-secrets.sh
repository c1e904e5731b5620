#!/usr/bin/env bash
# Creates the Secrets the dev overlay expects, with values generated here (nothing secret is committed):
#   swapseats-session-keys  session-signing.pem, session-public.pem   (RS256 key pair; only auth mounts the private key)
#   postgres-credentials    password, auth, tickets, orders, expiration, payments, notifications, web
#                                                                      (the in-cluster PostgreSQL's superuser and each service role)
#   swapseats-db            auth, tickets, orders, expiration, payments, notifications, web (each service's connection string,
#                                                                      as its own role)
#   swapseats-nats          auth, tickets, orders, expiration, payments, notifications, web, operator
#                                                                      (each NATS user's password: the services' and the servers')
#   swapseats-smtp          host, port, from [, user, password]       (the SMTP server outside the cluster; SMTP_HOST, SMTP_PORT,
#                                                                      SMTP_FROM, SMTP_USER, SMTP_PASSWORD; default: smtp4dev:25)
#   swapseats-stripe        secret-key                                 (optional: dev uses the local provider; prod requires it)
# Usage: deploy/k8s/dev-secrets.sh [namespace]   (STRIPE_SECRET_KEY=sk_test_... to include the Stripe key)
set -euo pipefail
ns=${1:-swapseats}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"

# Existing values are kept: a new key pair would sign everyone out, a new password would not match the database.
if ! kubectl -n "$ns" get secret swapseats-session-keys >/dev/null 2>&1; then
  "$(dirname "$0")/../../scripts/new-session-key.sh" "$work"
  kubectl -n "$ns" create secret generic swapseats-session-keys \
    --from-file="$work/session-signing.pem" --from-file="$work/session-public.pem"
fi

# The superuser's password and one per service role (the dev PostgreSQL's roles.sh creates the roles from them at its
# first start); existing values are kept, since the database holds them.
existing() { kubectl -n "$ns" get secret "$1" -o jsonpath="{.data.$2}" 2>/dev/null | base64 -d || true; }
# (Plain variables pw_<key>, not an associative array: macOS's bash 3.2 has none.)
pg=()
for key in password auth tickets orders expiration payments notifications web; do
  value=$(existing postgres-credentials "$key")
  printf -v "pw_$key" '%s' "${value:-$(openssl rand -hex 24)}"
  name="pw_$key"
  pg+=("--from-literal=$key=${!name}")
done
kubectl -n "$ns" create secret generic postgres-credentials "${pg[@]}" --dry-run=client -o yaml | kubectl apply -f -
args=()
for db in auth tickets orders expiration payments notifications web; do
  name="pw_$db"
  args+=("--from-literal=$db=Host=postgres;Database=$db;Username=$db;Password=${!name}")
done
kubectl -n "$ns" create secret generic swapseats-db "${args[@]}" --dry-run=client -o yaml | kubectl apply -f -

# One NATS user per process (components/nats-auth/auth.conf); a password that exists is kept (pods hold it). It starts
# with a letter: NATS parses the variable's value as a config value, and one that starts like a number (7e3f…) as one.
nats=()
for user in auth tickets orders expiration payments notifications web operator; do
  value=$(existing swapseats-nats "$user")
  nats+=("--from-literal=$user=${value:-s$(openssl rand -hex 24)}")
done
kubectl -n "$ns" create secret generic swapseats-nats "${nats[@]}" --dry-run=client -o yaml | kubectl apply -f -

smtp=(--from-literal=host="${SMTP_HOST:-smtp4dev}" --from-literal=port="${SMTP_PORT:-25}" --from-literal=from="${SMTP_FROM:-SwapSeats <no-reply@swapseats.local>}")
[ -n "${SMTP_USER:-}" ] && smtp+=(--from-literal=user="$SMTP_USER" --from-literal=password="${SMTP_PASSWORD:-}")
kubectl -n "$ns" create secret generic swapseats-smtp "${smtp[@]}" --dry-run=client -o yaml | kubectl apply -f -

if [ -n "${STRIPE_SECRET_KEY:-}" ]; then
  kubectl -n "$ns" create secret generic swapseats-stripe --from-literal=secret-key="$STRIPE_SECRET_KEY" --dry-run=client -o yaml | kubectl apply -f -
fi
echo "Secrets ready in namespace $ns."
