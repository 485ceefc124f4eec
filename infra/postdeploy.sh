#!/usr/bin/env bash
# Riposte's post-deployment steps (docs/deploy.md, steps 2-4), in one command that is safe to re-run:
#   1. the app registration and its service principal (reused when one with the name exists),
#   2. the application permissions the app and its deployed workflows (workflows/, or RIPOSTE_WORKFLOWS_DIR) need,
#      granted with admin consent (skipped when already granted): the list `riposte permissions` computes from each
#      step kind's permission (shared/permissions.ts; README, "Permissions to grant the app registration"),
#   3. the client secret, created in Entra ID and stored in Key Vault without ever being on a command line, or with
#      --credential federated (CREDENTIAL_SOURCE managedIdentityFederation) no secret at all: a federated identity
#      credential on the app that trusts the Function App's user-assigned identity (README, "Credential sources"),
#   4. CLIENT_ID and TENANT_ID (and CREDENTIAL_SOURCE) on the Function App, a restart, and the deep health check.
# --rotate adds a new secret next to the old ones (zero downtime) and prints how to remove the old ones.
# Needs: az (signed in as someone who can create app registrations and grant admin consent), curl, and Node.js with
# this repository's packages (npm ci), which `riposte permissions` runs on.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: infra/postdeploy.sh -g <resource group> [options]
  -g, --resource-group RG   resource group of the deployment (required)
  -d, --deployment NAME     deployment name (default: riposte)
  -n, --name NAME           app registration display name (default: riposte)
      --api graph|legacy    API to grant (default: the app's DEFENDER_API setting)
      --credential secret|federated
                            how the app proves itself: a client secret in Key Vault, or the Function App's
                            user-assigned identity as a federated credential, no secret (default: the app's
                            CREDENTIAL_SOURCE setting, else secret)
      --rotate              add a new client secret even if Key Vault holds one (zero-downtime rotation)
      --years N             lifetime of a new secret in years (default: 1)
      --skip-check          do not restart the app or call its deep health check
EOF
}

RG="" DEPLOYMENT="riposte" NAME="riposte" API="" ROTATE=0 YEARS=1 CHECK=1 CREDENTIAL=""
while [ $# -gt 0 ]; do
  case "$1" in
    -g | --resource-group) RG="${2:-}"; shift 2 ;;
    -d | --deployment) DEPLOYMENT="${2:-}"; shift 2 ;;
    -n | --name) NAME="${2:-}"; shift 2 ;;
    --api) API="${2:-}"; shift 2 ;;
    --credential) CREDENTIAL="${2:-}"; shift 2 ;;
    --rotate) ROTATE=1; shift ;;
    --years) YEARS="${2:-}"; shift 2 ;;
    --skip-check) CHECK=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "postdeploy: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

die() { echo "postdeploy: $*" >&2; exit 1; }
step() { echo "== $*"; }
[ -n "$RG" ] || { usage >&2; exit 2; }
case "$YEARS" in '' | *[!0-9]*) die "--years must be a whole number" ;; esac
command -v az >/dev/null || die "the Azure CLI (az) is not installed"

# Role assignments take minutes to apply; a 403 right after a grant is retried.
RETRY_SLEEP="${RIPOSTE_RETRY_SLEEP:-15}"
retry() {
  local n=1
  until "$@"; do
    [ "$n" -lt 6 ] || return 1
    echo "   (not allowed yet; role assignments can take minutes to apply: retrying in ${RETRY_SLEEP}s)" >&2
    sleep "$RETRY_SLEEP"
    n=$((n + 1))
  done
}

output() {
  az deployment group show -g "$RG" -n "$DEPLOYMENT" --query "properties.outputs.$1.value" -o tsv 2>/dev/null || true
}
setting() {
  az functionapp config appsettings list -g "$RG" -n "$APP" --query "[?name=='$1'].value | [0]" -o tsv
}

step "deployment $DEPLOYMENT in $RG"
APP="$(output functionAppName)"
KV="$(output keyVaultName)"
URL="$(output functionAppUrl)"
if [ -z "$APP" ] || [ -z "$KV" ]; then
  die "no deployment '$DEPLOYMENT' with outputs in resource group '$RG': deploy infra/azuredeploy.json first (docs/deploy.md, step 1)"
fi
[ -n "$API" ] || API="$(setting DEFENDER_API)"
SECRET_NAME="$(setting CLIENT_SECRET_NAME)"
SECRET_NAME="${SECRET_NAME:-riposte-client-secret}"
TENANT="$(az account show --query tenantId -o tsv)"
if [ -z "$CREDENTIAL" ]; then
  case "$(setting CREDENTIAL_SOURCE)" in
    managedIdentityFederation) CREDENTIAL=federated ;;
    keyVaultCertificate) CREDENTIAL=certificate ;;
    *) CREDENTIAL=secret ;;
  esac
fi
case "$CREDENTIAL" in
  secret | federated) ;;
  # Creating a certificate is left to the operator: its policy and renewal are theirs (README, "Credential sources").
  certificate) die "CREDENTIAL_SOURCE is keyVaultCertificate: create the certificate and register it on the app as README \"Credential sources\" says, or pass --credential secret|federated" ;;
  *) die "--credential must be secret or federated, not '$CREDENTIAL'" ;;
esac
[ "$CREDENTIAL" = secret ] || [ "$ROTATE" -eq 0 ] || die "--rotate rotates a client secret: a federated credential has none"
WHAT="secret $SECRET_NAME"
[ "$CREDENTIAL" = secret ] || WHAT="federated credential (no secret)"
echo "   app $APP, vault $KV, api ${API:-graph}, $WHAT, tenant $TENANT"

case "${API:-graph}" in
  graph | legacy) ;;
  *) die "--api must be graph or legacy, not '$API'" ;;
esac
# What to grant: the Function App's own permissions and every deployed workflow step's, on the APIs they belong to
# (Microsoft Graph, Microsoft Threat Protection, WindowsDefenderATP), least privilege, one per line:
# "<resource app id> TAB <role> TAB <API name> TAB <step kinds>".
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORKFLOWS="${RIPOSTE_WORKFLOWS_DIR:-$ROOT/workflows}"
command -v node >/dev/null || die "Node.js is not installed: it computes the permissions to grant (riposte permissions)"
WORKFLOW_ARGS=()
if [ -d "$WORKFLOWS" ]; then
  WORKFLOW_ARGS=("$WORKFLOWS")
elif [ -n "${RIPOSTE_WORKFLOWS_DIR:-}" ]; then
  die "RIPOSTE_WORKFLOWS_DIR is not a folder: $RIPOSTE_WORKFLOWS_DIR"
fi
# From the repository's root: without a folder it finds no workflows/ there, and lists the app's own permissions.
NEEDED="$(cd "$ROOT" && node bin/riposte.js permissions --api "${API:-graph}" --tsv "${WORKFLOW_ARGS[@]}")" ||
  die "could not list the permissions the workflows in $WORKFLOWS need (riposte permissions; see above)"
# Microsoft Graph of the signed-in cloud (graph.microsoft.us in Azure Government); RIPOSTE_GRAPH_URL overrides it
# (DoD tenants: https://dod-graph.microsoft.us).
GRAPH="${RIPOSTE_GRAPH_URL:-$(az cloud show --query endpoints.microsoftGraphResourceId -o tsv)}"
GRAPH="${GRAPH%/}"

step "app registration '$NAME'"
# An exact match: `az ad app list --display-name` matches prefixes (it would take "riposte-test" for "riposte").
APP_ID="$(az ad app list --filter "displayName eq '${NAME//"'"/"''"}'" --query "[0].appId" -o tsv)"
NEW_APP=0
if [ -z "$APP_ID" ]; then
  NEW_APP=1
  APP_ID="$(az ad app create --display-name "$NAME" --sign-in-audience AzureADMyOrg --query appId -o tsv)"
  echo "   created $APP_ID"
else
  echo "   exists: $APP_ID"
fi
SP_ID="$(az ad sp list --filter "appId eq '$APP_ID'" --query "[0].id" -o tsv)"
if [ -z "$SP_ID" ]; then
  SP_ID="$(az ad sp create --id "$APP_ID" --query id -o tsv)"
  echo "   service principal created"
fi

step "application permissions (admin consent) for the app and its workflows"
LAST_APP=""
# Read from fd 3: nothing az runs inside the loop can take the list from stdin.
while IFS=$'\t' read -r -u 3 RESOURCE_APP ROLE RESOURCE_NAME NEEDED_BY; do
  [ -n "$RESOURCE_APP" ] || continue
  if [ "$RESOURCE_APP" != "$LAST_APP" ]; then
    LAST_APP="$RESOURCE_APP"
    RESOURCE_SP="$(az ad sp show --id "$RESOURCE_APP" --query id -o tsv 2>/dev/null || true)"
    [ -n "$RESOURCE_SP" ] ||
      die "the tenant has no service principal for $RESOURCE_NAME ($RESOURCE_APP), needed by: $NEEDED_BY"
    # The app id is the resource's; a tenant whose service principal under it has another name is not what the
    # permission table means (the WindowsDefenderATP id is not printed on Learn: shared/permissions.ts).
    FOUND_NAME="$(az ad sp show --id "$RESOURCE_APP" --query displayName -o tsv)"
    [ "$FOUND_NAME" = "$RESOURCE_NAME" ] ||
      die "the service principal of $RESOURCE_APP is named '$FOUND_NAME', not '$RESOURCE_NAME': nothing granted on it"
    GRANTED="$(az rest --method GET --uri "$GRAPH/v1.0/servicePrincipals/$SP_ID/appRoleAssignments" --query "value[?resourceId=='$RESOURCE_SP'].appRoleId" -o tsv)"
  fi
  ROLE_ID="$(az ad sp show --id "$RESOURCE_APP" --query "appRoles[?value=='$ROLE'].id | [0]" -o tsv)"
  [ -n "$ROLE_ID" ] || die "the API $RESOURCE_NAME ($RESOURCE_APP) has no application permission $ROLE"
  if printf '%s\n' "$GRANTED" | grep -qx "$ROLE_ID"; then
    echo "   $ROLE: already granted ($RESOURCE_NAME)"
    continue
  fi
  # Listed on the registration (so the portal shows what it needs), then granted: an app role assignment to the
  # resource's service principal is the admin consent for an application permission.
  az ad app permission add --id "$APP_ID" --api "$RESOURCE_APP" --api-permissions "$ROLE_ID=Role" -o none 2>/dev/null || true
  az rest --method POST --uri "$GRAPH/v1.0/servicePrincipals/$RESOURCE_SP/appRoleAssignedTo" \
    --body "{\"principalId\":\"$SP_ID\",\"resourceId\":\"$RESOURCE_SP\",\"appRoleId\":\"$ROLE_ID\"}" -o none
  echo "   $ROLE: granted ($RESOURCE_NAME, for $NEEDED_BY)"
done 3<<<"$NEEDED"

if [ "$CREDENTIAL" = federated ]; then
  step "federated credential: the app trusts the Function App's managed identity (no secret)"
  # The FIC values (identity-modes.md §2.1): issuer = the cloud's login host + tenant + /v2.0, subject = the
  # user-assigned identity's principal (object) id, one audience per cloud. Wrong values are accepted here and fail
  # only at sign-in (AADSTS70021), so they are computed, never typed.
  MI_PRINCIPAL="$(output managedIdentityPrincipalId)"
  [ -n "$MI_PRINCIPAL" ] || die "the deployment has no managedIdentityPrincipalId output: redeploy infra/azuredeploy.json"
  LOGIN="$(az cloud show --query endpoints.activeDirectory -o tsv)"
  ISSUER="${LOGIN%/}/$TENANT/v2.0"
  case "$(az cloud show --query name -o tsv)" in
    AzureUSGovernment) AUDIENCE="api://AzureADTokenExchangeUSGov" ;;
    AzureChinaCloud) AUDIENCE="api://AzureADTokenExchangeChina" ;;
    *) AUDIENCE="api://AzureADTokenExchange" ;;
  esac
  APP_OBJECT_ID="$(az ad app show --id "$APP_ID" --query id -o tsv)"
  FIC_NAME="$(az ad app federated-credential list --id "$APP_OBJECT_ID" --query "[?issuer=='$ISSUER' && subject=='$MI_PRINCIPAL'].name | [0]" -o tsv)"
  if [ -n "$FIC_NAME" ]; then
    echo "   exists: $FIC_NAME (issuer $ISSUER, subject $MI_PRINCIPAL)"
  else
    FIC_FILE="$(mktemp)"
    trap 'rm -f "$FIC_FILE"' EXIT
    printf '{"name":"riposte-func-uami","issuer":"%s","subject":"%s","description":"Riposte Function App user-assigned identity","audiences":["%s"]}\n' \
      "$ISSUER" "$MI_PRINCIPAL" "$AUDIENCE" >"$FIC_FILE"
    az ad app federated-credential create --id "$APP_OBJECT_ID" --parameters "@$FIC_FILE" -o none
    rm -f "$FIC_FILE"
    echo "   created riposte-func-uami: issuer $ISSUER, subject $MI_PRINCIPAL, audience $AUDIENCE"
  fi
  SETTINGS_EXTRA=("CREDENTIAL_SOURCE=managedIdentityFederation")
  REACHES="its managed identity (federated credential)"
else
  step "client secret in Key Vault $KV"
  KV_ID="$(az keyvault show --name "$KV" --query id -o tsv)"
  ME="$(az ad signed-in-user show --query id -o tsv)"
  if [ -z "$(az role assignment list --assignee "$ME" --role "Key Vault Secrets Officer" --scope "$KV_ID" --query "[0].id" -o tsv)" ]; then
    az role assignment create --role "Key Vault Secrets Officer" --scope "$KV_ID" \
      --assignee-object-id "$ME" --assignee-principal-type User -o none
    echo "   you were granted Key Vault Secrets Officer on the vault (to store the secret)"
  fi
  HAS_SECRET="$(retry az keyvault secret list --vault-name "$KV" --query "[?name=='$SECRET_NAME'].name | [0]" -o tsv)"
  # A registration created just now has no secret: one already in the vault belongs to another (or a deleted) one.
  if [ -n "$HAS_SECRET" ] && [ "$ROTATE" -eq 0 ] && [ "$NEW_APP" -eq 0 ]; then
    echo "   $SECRET_NAME exists (use --rotate to add a new secret)"
  else
    # The value goes from Entra ID to a private file to Key Vault: never an argument, never printed.
    # mktemp creates the file readable by its owner only; /dev/shm keeps it off disk where it exists.
    SECRET_FILE="$(mktemp "${RIPOSTE_SECRET_DIR:-/dev/shm}/riposte-secret.XXXXXX" 2>/dev/null || mktemp)"
    trap 'rm -f "$SECRET_FILE"' EXIT
    # --append keeps the other secrets: without it `credential reset` removes them (downtime).
    az ad app credential reset --id "$APP_ID" --append --display-name "riposte-$(date -u +%Y-%m-%d)" --years "$YEARS" \
      --query password -o tsv | tr -d '\r\n' >"$SECRET_FILE"
    [ -s "$SECRET_FILE" ] || die "Entra ID returned no secret value"
    retry az keyvault secret set --vault-name "$KV" --name "$SECRET_NAME" --file "$SECRET_FILE" -o none
    rm -f "$SECRET_FILE"
    echo "   new secret stored as $SECRET_NAME"
    if [ "$ROTATE" -eq 1 ]; then
      echo "   once every instance uses it (restart below, or SECRET_CACHE_TTL_SECONDS), remove the older secrets:"
      az ad app credential list --id "$APP_ID" --query "sort_by(@, &startDateTime)[:-1].keyId" -o tsv |
        while read -r KEY_ID; do echo "     az ad app credential delete --id $APP_ID --key-id $KEY_ID"; done
    fi
  fi
  SETTINGS_EXTRA=()
  REACHES="Key Vault"
fi

step "app settings"
az functionapp config appsettings set -g "$RG" -n "$APP" --settings "CLIENT_ID=$APP_ID" "TENANT_ID=$TENANT" ${SETTINGS_EXTRA[@]+"${SETTINGS_EXTRA[@]}"} -o none
echo "   CLIENT_ID=$APP_ID TENANT_ID=$TENANT${SETTINGS_EXTRA[*]+ ${SETTINGS_EXTRA[*]}}"

[ "$CHECK" -eq 1 ] || { echo "done (no check: --skip-check)"; exit 0; }
step "restart and deep health check ($URL)"
az functionapp restart -g "$RG" -n "$APP" -o none
KEY="$(az functionapp keys list -g "$RG" -n "$APP" --query functionKeys.default -o tsv)"
for attempt in 1 2 3 4 5 6; do
  # The key goes to curl through a file descriptor, not its arguments.
  if BODY="$(curl -sS --max-time 60 -H @<(printf 'x-functions-key: %s\n' "$KEY") "$URL/api/health/deep")" &&
    printf '%s' "$BODY" | grep -q '"status":"ok"'; then
    echo "   $BODY"
    echo "done: Riposte reaches $REACHES, Entra ID and the Defender API"
    exit 0
  fi
  [ "$attempt" -lt 6 ] && sleep "$RETRY_SLEEP"
done
echo "   ${BODY:-no answer}"
die "the deep health check did not pass: its failing hop and docs/operations.md tell what to fix (a new permission can take a few minutes to reach tokens)"
