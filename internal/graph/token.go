package graph

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// A token Graph refused must never be sent again. azcore's bearer policy
// forgets its cached token on a 401 and asks the credential for a fresh one
// with claims, which bypasses MSAL's cache; but the policy shares one token
// acquisition among all the requests in flight. If another request asks for
// a token first (without claims, as every request does before it is sent),
// MSAL's cache answers with the token Graph has just refused, and the
// refused request is resent with it and fails: azcore re-authorizes once
// per request. refusals closes that gap: refusalPolicy, below the bearer
// policy, notes a refused token before the bearer policy sees the 401, and
// refusingCredential asks again with claims when the credential answers
// with a noted token.

// refusals remembers the tokens Graph refused, by digest (the tokens
// themselves stay with the credential). A token is noted once per 401, so
// the set stays as small as the number of tokens the process was refused.
type refusals struct {
	mu      sync.Mutex
	refused map[[sha256.Size]byte]bool
}

func newRefusals() *refusals {
	return &refusals{refused: map[[sha256.Size]byte]bool{}}
}

func (r *refusals) add(token string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused[sha256.Sum256([]byte(token))] = true
}

func (r *refusals) has(token string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused[sha256.Sum256([]byte(token))]
}

// refusalPolicy notes the token of every request Graph answers 401. It sits
// right below the bearer policy, so the token is noted before the bearer
// policy drops it and any request can ask for another.
type refusalPolicy struct{ refusals *refusals }

func (p refusalPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		scheme, token, _ := strings.Cut(req.Raw().Header.Get("Authorization"), " ")
		if strings.EqualFold(scheme, "Bearer") && token != "" {
			p.refusals.add(token)
		}
	}
	return resp, err
}

// refusingCredential is the provider's credential with one rule added: a
// token Graph refused is never handed out again. When the credential's cache
// answers with one, the token is asked for again with claims, as the
// bearer policy's challenge handler does, which bypasses the cache.
type refusingCredential struct {
	cred     azcore.TokenCredential
	refusals *refusals
}

func (c refusingCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.cred.GetToken(ctx, opts)
	if err != nil || opts.Claims != "" || !c.refusals.has(tok.Token) {
		return tok, err
	}
	opts.Claims = freshTokenClaims(time.Now())
	return c.cred.GetToken(ctx, opts)
}

// freshTokenClaims asks Entra for a token issued no earlier than now.
func freshTokenClaims(now time.Time) string {
	return fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, now.Unix())
}
