package graphfake

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// AzureCLICallLog is the file, beside the fake az, where it appends the
// arguments of every call, one call per line.
const AzureCLICallLog = "az.calls"

// AzureCLIUserID is the principal the fake Azure CLI is signed in as.
const AzureCLIUserID = "55555555-5555-5555-5555-555555555555"

// WriteAzureCLI writes an executable named az into dir that stands in for
// the Azure CLI of a user signed in to this server's tenant (or, with
// signedIn false, of a user who never ran az login). It answers
//
//	az account get-access-token -o json --resource R [--tenant T] [--subscription S]
//
// like Azure CLI 2.x: the JSON document on stdout, or "ERROR: ..." on stderr
// with exit status 1. R must be this server's Graph endpoint and T, if given,
// its tenant. The token is one the server accepts, issued when the script
// is written (az too hands out a cached token until it expires). Put dir
// first on PATH to use it; it needs /bin/sh only.
func (s *Server) WriteAzureCLI(dir string, signedIn bool) (string, error) {
	var body string
	if signedIn {
		token, lifetime := s.issueToken(AzureCLIUserID)
		expires := time.Now().Add(lifetime)
		body = fmt.Sprintf(`cat <<'EOF'
{
  "accessToken": "%s",
  "expiresOn": "%s",
  "expires_on": %d,
  "subscription": "66666666-6666-6666-6666-666666666666",
  "tenant": "%s",
  "tokenType": "Bearer"
}
EOF
`, token, expires.Local().Format("2006-01-02 15:04:05.000000"), expires.Unix(), s.opts.TenantID)
	} else {
		body = `echo "ERROR: Please run 'az login' to setup account." >&2
exit 1
`
	}
	script := fmt.Sprintf(`#!/bin/sh
# Stand-in for the Azure CLI, written by graphfake.
printf '%%s\n' "$*" >> '%s'
if [ "$1" != account ] || [ "$2" != get-access-token ]; then
  echo "ERROR: 'az $1 $2' is not emulated by graphfake; only 'az account get-access-token' is." >&2
  exit 2
fi
shift 2
resource=""
tenant=""
while [ $# -gt 0 ]; do
  case "$1" in
    --resource) resource="$2"; shift ;;
    --tenant) tenant="$2"; shift ;;
    -o|--output|--subscription) shift ;;
  esac
  shift
done
tenant_lc=$(printf '%%s' "$tenant" | tr 'A-Z' 'a-z')
if [ -n "$tenant" ] && [ "$tenant_lc" != '%s' ]; then
  echo "ERROR: AADSTS90002: Tenant '$tenant' not found. Run 'az login --tenant $tenant' first." >&2
  exit 1
fi
if [ "$resource" != '%s' ] && [ "$resource" != '%s/' ]; then
  echo "ERROR: AADSTS500011: The resource principal named $resource was not found in the tenant." >&2
  exit 1
fi
%s`, filepath.Join(dir, AzureCLICallLog), strings.ToLower(s.opts.TenantID), s.url, s.url, body)

	path := filepath.Join(dir, "az")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("graphfake: write fake az: %w", err)
	}
	return path, nil
}
