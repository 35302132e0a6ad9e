package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// Secrets never reach logs, state or plan output: an apply at
// TF_LOG=trace with a client secret, and the secret, every access token the
// emulator issued and the OIDC tokens in the environment must appear in
// none of them.

func canary(prefix string) string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// fakeJWT looks like the OIDC tokens GitHub, Azure DevOps and HCP
// Terraform hand out, so a leak through a JWT-shaped path would show.
func fakeJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(`{"aud":"api://AzureADTokenExchange","sub":"`+canary("")+`"}`)) + "." + canary("")
}

// secretsCase is one way of handing the provider its credential.
type secretsCase struct {
	name   string
	hcl    string   // provider block and variables
	env    []string // on top of the emulator's
	secret string
	method string // the authentication method the provider must report using
	// oidc, if set, makes the run authenticate with an OIDC token the
	// emulator trusts, as HCP Terraform's dynamic credentials do, and
	// returns the environment for it and the token.
	oidc func(srv *graphfake.Server) (env []string, token string)
}

func TestAccSecurity_noSecretsInLogStateOrPlan(t *testing.T) {
	secret := canary("client-secret-")
	oidcToken, oidcRequestToken, githubRequestToken := fakeJWT(), canary("oidc-request-token-"), canary("gh-request-token-")
	for _, c := range []secretsCase{
		{name: "ARM_CLIENT_SECRET", secret: secret, method: "client secret"},
		{
			name: "client_secret from a sensitive variable",
			hcl: `variable "client_secret" {
  type      = string
  sensitive = true
}

provider "intune" {
  client_secret = var.client_secret
}
`,
			env:    []string{"ARM_CLIENT_SECRET=", "TF_VAR_client_secret=" + secret},
			secret: secret,
			method: "client secret",
		},
		{
			// HCP Terraform dynamic credentials: the OIDC token itself is the
			// credential, and the client secret stays in the environment unused.
			name:   "OIDC token (HCP Terraform dynamic credentials)",
			secret: secret,
			method: "OIDC token",
			oidc: func(srv *graphfake.Server) ([]string, string) {
				const issuer, subject = "https://app.terraform.io", "organization:intunetf:project:Default:workspace:security:run_phase:apply"
				srv.AddFederatedCredential(srv.ClientID(), graphfake.FederatedCredential{Issuer: issuer, Subject: subject})
				token := srv.MintIDToken(graphfake.IDToken{Issuer: issuer, Subject: subject})
				return []string{"ARM_USE_OIDC=true", "ARM_OIDC_TOKEN=" + token}, token
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "trace.log")
			env := append([]string{
				"TF_LOG=trace", "TF_LOG_PATH=" + logFile,
				// OIDC tokens are in the environment but switched off: they
				// must be ignored, and never echoed.
				"ARM_USE_OIDC=false", "ARM_OIDC_TOKEN=" + oidcToken,
				"ARM_OIDC_REQUEST_TOKEN=" + oidcRequestToken, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + githubRequestToken,
			}, c.env...)
			w := newWorkspace(t, graphfake.Options{ClientSecret: c.secret}, env...)
			usedOIDCToken := ""
			if c.oidc != nil {
				var oidcEnv []string
				oidcEnv, usedOIDCToken = c.oidc(w.srv)
				w.tf.Env = append(w.tf.Env, oidcEnv...)
			}
			const id = "0c0ffee0-0000-4000-8000-000000000001"
			w.srv.AddConfiguration(id, "security")
			w.writeConfig(c.hcl + `
resource "intune_ios_lob_provisioning_assignment" "test" {
  configuration_id = "` + id + `"
  group {
    group_id = "0c0ffee0-0000-4000-8000-0000000000aa"
  }
}
`)
			outputs := map[string]string{}
			outputs["plan output"] = w.run([]string{"plan", "-input=false", "-detailed-exitcode"}, 2).Output
			outputs["apply output"] = w.run([]string{"apply", "-auto-approve", "-input=false"}).Output
			outputs["re-plan output"] = w.run([]string{"plan", "-input=false", "-detailed-exitcode"}).Output
			outputs["state show"] = w.run([]string{"show", "-json"}).Output
			for _, f := range []string{"terraform.tfstate", "terraform.tfstate.backup"} {
				if b, err := os.ReadFile(filepath.Join(w.dir, f)); err == nil {
					outputs[f] = string(b)
				}
			}
			trace, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatal(err)
			}
			outputs["TF_LOG=trace log"] = string(trace)

			// The log must have had the chance to leak: Graph requests and
			// the token request were logged, headers redacted.
			for _, want := range []string{"azcore Request", "Authorization: REDACTED", "/oauth2/v2.0/token", "intune provider authenticates with " + c.method} {
				if !strings.Contains(string(trace), want) {
					t.Errorf("trace log lacks %q, so it proves nothing", want)
				}
			}
			tokens := w.srv.IssuedTokens()
			if len(tokens) == 0 {
				t.Fatal("the emulator issued no token")
			}
			secrets := map[string]string{
				"client secret":                  c.secret,
				"ARM_OIDC_TOKEN":                 oidcToken,
				"ARM_OIDC_REQUEST_TOKEN":         oidcRequestToken,
				"ACTIONS_ID_TOKEN_REQUEST_TOKEN": githubRequestToken,
			}
			if usedOIDCToken != "" {
				secrets["the OIDC token used"] = usedOIDCToken
			}
			for i, tok := range tokens {
				secrets[fmt.Sprintf("access token #%d", i+1)] = tok
			}
			for where, text := range outputs {
				for what, value := range secrets {
					if strings.Contains(text, value) {
						t.Errorf("the %s appears in the %s", what, where)
					}
				}
			}
		})
	}
}

// A wrong secret fails with Entra's message, which never quotes the secret.
func TestAccSecurity_wrongSecretIsNotEchoed(t *testing.T) {
	wrong := canary("wrong-secret-")
	logFile := filepath.Join(t.TempDir(), "trace.log")
	w := newWorkspace(t, graphfake.Options{}, "ARM_CLIENT_SECRET="+wrong, "TF_LOG=trace", "TF_LOG_PATH="+logFile)
	const id = "0c0ffee0-0000-4000-8000-000000000002"
	w.srv.AddConfiguration(id, "security")
	w.writeConfig(`
resource "intune_ios_lob_provisioning_assignment" "test" {
  configuration_id = "` + id + `"
}
`)
	res := w.run([]string{"apply", "-auto-approve", "-input=false"}, 1)
	if !strings.Contains(res.Output, "AADSTS7000215") {
		t.Errorf("the error does not carry Entra's reason (AADSTS7000215, invalid client secret):\n%s", res.Output)
	}
	trace, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"apply output": res.Output, "TF_LOG=trace log": string(trace)} {
		if strings.Contains(text, wrong) {
			t.Errorf("the wrong secret appears in the %s", where)
		}
	}
}
