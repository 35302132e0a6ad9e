package auth

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// answer is a transport that answers every request with one status and body.
type answer struct {
	status int
	body   string
}

func (a answer) Do(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Status: fmt.Sprint(a.status, " ", http.StatusText(a.status)), Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(a.body)), Request: req}, nil
}

func TestGitHubTokenResponses(t *testing.T) {
	long := strings.Repeat("m", 600)
	cases := []struct {
		name      string
		answer    answer
		want      string // the token, or a part of the error
		wantError bool
	}{
		{"token", answer{http.StatusOK, `{"count":1,"value":"eyJ.x.y"}`}, "eyJ.x.y", false},
		{"no value", answer{http.StatusOK, `{"count":1}`}, `without a token (expected JSON with a "value")`, true},
		{"empty value", answer{http.StatusOK, `{"value":""}`}, `without a token`, true},
		{"empty body", answer{http.StatusOK, ``}, `without a token`, true},
		{"not JSON", answer{http.StatusOK, `<html>`}, `without a token`, true},
		{"refused", answer{http.StatusForbidden, `{"message":"no id-token permission"}`}, `answered the ID token request with 403 Forbidden: {"message":"no id-token permission"}`, true},
		{"long refusal", answer{http.StatusNotFound, long}, "with 404 Not Found: " + long[:512] + "…", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := newGitHubTokenRequest("https://token.actions.example/idtoken?api-version=2.0", "request-token", "api://AzureADTokenExchange", c.answer)
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.token(t.Context())
			switch {
			case !c.wantError && (err != nil || got != c.want):
				t.Errorf("token() = %q, %v; want %q", got, err, c.want)
			case c.wantError && (err == nil || got != "" || !strings.Contains(err.Error(), c.want)):
				t.Errorf("token() = %q, %v; want an error containing %q", got, err, c.want)
			}
		})
	}
}
