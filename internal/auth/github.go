package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/intunetf/terraform-provider-intune/internal/text"
)

// githubTokenRequest asks the GitHub Actions runtime for an ID token
// (ACTIONS_ID_TOKEN_REQUEST_URL with ACTIONS_ID_TOKEN_REQUEST_TOKEN as
// bearer) for Entra's token-exchange audience. azidentity has no GitHub
// credential; this is the documented request, sent through an azcore
// pipeline for its retries and header redaction.
type githubTokenRequest struct {
	url      string
	bearer   string
	pipeline runtime.Pipeline
}

func newGitHubTokenRequest(requestURL, requestToken, audience string, transport policy.Transporter) (*githubTokenRequest, error) {
	u, err := url.Parse(requestURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		// Not quoted: a pasted URL could carry a token.
		return nil, errors.New("oidc_request_url (ACTIONS_ID_TOKEN_REQUEST_URL) must be an https URL")
	}
	// The URL GitHub hands out already has a query string (api-version).
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	return &githubTokenRequest{
		url:    u.String(),
		bearer: requestToken,
		pipeline: runtime.NewPipeline("terraform-provider-intune", "", runtime.PipelineOptions{}, &policy.ClientOptions{
			Transport: transport,
		}),
	}, nil
}

// token fetches a fresh ID token; MSAL calls it whenever it needs a new access token.
func (g *githubTokenRequest) token(ctx context.Context) (string, error) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, g.url)
	if err != nil {
		return "", err
	}
	req.Raw().Header.Set("Authorization", "Bearer "+g.bearer)
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := g.pipeline.Do(req)
	if err != nil {
		return "", fmt.Errorf("requesting an ID token from GitHub Actions: %w", err)
	}
	defer resp.Body.Close()
	// The pipeline has read the body already (a failed read is Do's error),
	// so Payload returns it without reading again.
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		// The body of an error carries a message, never a token.
		body, _ := runtime.Payload(resp)
		return "", fmt.Errorf("GitHub Actions answered the ID token request with %s: %s", resp.Status, text.Truncate(string(body), 512))
	}
	var doc struct {
		Value string `json:"value"`
	}
	if err := runtime.UnmarshalAsJSON(resp, &doc); err != nil || doc.Value == "" {
		return "", errors.New("GitHub Actions answered the ID token request without a token (expected JSON with a \"value\")")
	}
	return doc.Value, nil
}
