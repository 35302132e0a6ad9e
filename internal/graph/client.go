// Package graph is a small typed client for the Microsoft Graph (beta) calls
// that manage iOS LOB app provisioning configurations and their assignments.
//
// It is built on azcore's runtime.Pipeline: the bearer-token policy asks the
// credential for "{endpoint}/.default" and caches the token, the retry policy
// waits out 429/503/504 honouring Retry-After, and the logging policy redacts
// headers. There are no Terraform imports here.
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
)

const (
	moduleName = "terraform-provider-intune"

	// maxResponseBytes bounds what one response may make us hold in memory.
	// A page of assignments is a few kilobytes; anything near this is wrong.
	maxResponseBytes = 16 << 20
)

// Options tune a Client. The zero value is what production uses.
type Options struct {
	// Transport sends the requests; nil means azcore's default HTTP client,
	// which trusts the system pool (and so SSL_CERT_FILE).
	Transport policy.Transporter
	// ApplicationID is prepended to the User-Agent, e.g. "terraform-provider-intune/1.0.0".
	ApplicationID string
	// Retry overrides the retry policy; zero fields take the defaults below.
	Retry policy.RetryOptions
}

// DefaultRetryOptions retry what Graph documents as transient. Intune's
// Retry-After can be long (a throttled app waits out a 20 s window), so the
// cap is generous: the operation's context deadline is the real bound.
func DefaultRetryOptions() policy.RetryOptions {
	return policy.RetryOptions{
		MaxRetries:    10,
		RetryDelay:    2 * time.Second,
		MaxRetryDelay: 5 * time.Minute,
		StatusCodes:   []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
	}
}

// Client calls Graph for one endpoint with one credential. It is safe for
// concurrent use, and sharing one Client shares its cached token.
type Client struct {
	endpoint string // e.g. https://graph.microsoft.com, no trailing slash
	pipeline runtime.Pipeline
}

// New returns a client for endpoint. The endpoint must be https: a bearer
// token is never sent in clear text, not even to loopback.
func New(endpoint string, cred azcore.TokenCredential, opts *Options) (*Client, error) {
	if opts == nil {
		opts = &Options{}
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("the Microsoft Graph endpoint must be an https URL, got %q", endpoint)
	}
	endpoint = strings.TrimRight(endpoint, "/")

	retry := DefaultRetryOptions()
	if opts.Retry.MaxRetries != 0 {
		retry.MaxRetries = opts.Retry.MaxRetries
	}
	if opts.Retry.RetryDelay != 0 {
		retry.RetryDelay = opts.Retry.RetryDelay
	}
	if opts.Retry.MaxRetryDelay != 0 {
		retry.MaxRetryDelay = opts.Retry.MaxRetryDelay
	}
	if opts.Retry.StatusCodes != nil {
		retry.StatusCodes = opts.Retry.StatusCodes
	}

	bearer := runtime.NewBearerTokenPolicy(cred, []string{endpoint + "/.default"}, nil)
	pl := runtime.NewPipeline(moduleName, "", runtime.PipelineOptions{
		AllowedHeaders: []string{"request-id", "client-request-id", "Retry-After"},
		PerCall:        []policy.Policy{clientRequestIDPolicy{}},
		PerRetry:       []policy.Policy{bearer},
	}, &policy.ClientOptions{
		Retry:     retry,
		Transport: opts.Transport,
		Telemetry: policy.TelemetryOptions{ApplicationID: opts.ApplicationID},
	})
	return &Client{endpoint: endpoint, pipeline: pl}, nil
}

// Endpoint is the Graph endpoint this client talks to.
func (c *Client) Endpoint() string { return c.endpoint }

func (c *Client) configurationURL(id string) string {
	return c.endpoint + "/beta/deviceAppManagement/iosLobAppProvisioningConfigurations/" + url.PathEscape(id)
}

// GetConfiguration reads one configuration; a *Error with status 404 means it is gone.
func (c *Client) GetConfiguration(ctx context.Context, id string) (*Configuration, error) {
	var cfg Configuration
	if err := c.getJSON(ctx, c.configurationURL(id), &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// ListGroupAssignments reads every page of {base}/groupAssignments.
func (c *Client) ListGroupAssignments(ctx context.Context, id string) ([]GroupAssignment, error) {
	return listAll[GroupAssignment](ctx, c, c.configurationURL(id)+"/groupAssignments")
}

// ListTargetAssignments reads every page of {base}/assignments.
func (c *Client) ListTargetAssignments(ctx context.Context, id string) ([]TargetAssignment, error) {
	return listAll[TargetAssignment](ctx, c, c.configurationURL(id)+"/assignments")
}

// GetAssignments reads the configuration and both of its collections. The
// three reads run concurrently, so a refresh costs one round trip of latency.
// A 404 from any of them means the configuration is gone. The configuration
// is read without its payload: only its existence matters here.
func (c *Client) GetAssignments(ctx context.Context, id string) (*Assignments, error) {
	var a Assignments
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		_, err := c.GetConfigurationSummary(gctx, id)
		return err
	})
	g.Go(func() (err error) {
		a.Groups, err = c.ListGroupAssignments(gctx, id)
		return err
	})
	g.Go(func() (err error) {
		a.Targets, err = c.ListTargetAssignments(gctx, id)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return &a, nil
}

// Assign replaces the whole assignment set of a configuration. It is
// idempotent, which is what makes retrying it after a dropped connection safe.
func (c *Client) Assign(ctx context.Context, id string, a Assignments) error {
	body := assignRequest(a)
	if body.Groups == nil {
		body.Groups = []GroupAssignment{}
	}
	if body.Targets == nil {
		body.Targets = []TargetAssignment{}
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := runtime.NewRequest(ctx, http.MethodPost, c.configurationURL(id)+"/assign")
	if err != nil {
		return err
	}
	if err := req.SetBody(streaming.NopCloser(bytes.NewReader(payload)), "application/json"); err != nil {
		return err
	}
	_, err = c.do(req, http.StatusNoContent, http.StatusOK)
	return err
}

func listAll[T any](ctx context.Context, c *Client, first string) ([]T, error) {
	items := []T{}
	for next := first; next != ""; {
		var page struct {
			Value    []T    `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := c.getJSON(ctx, next, &page); err != nil {
			return nil, err
		}
		items = append(items, page.Value...)
		if page.NextLink != "" && !strings.HasPrefix(page.NextLink, c.endpoint+"/") {
			// Following it would hand our bearer token to another host.
			return nil, fmt.Errorf("Graph returned an @odata.nextLink outside %s: %q", c.endpoint, page.NextLink)
		}
		next = page.NextLink
	}
	return items, nil
}

func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	req, err := runtime.NewRequest(ctx, http.MethodGet, u)
	if err != nil {
		return err
	}
	body, err := c.do(req, http.StatusOK)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding the response of GET %s: %w", req.Raw().URL.Path, err)
	}
	return nil
}

// do sends req and returns the body of a response whose status is one of ok,
// or a *Error. Bodies are read here, with a bound, rather than by azcore.
func (c *Client) do(req *policy.Request, ok ...int) ([]byte, error) {
	req.Raw().Header.Set("Accept", "application/json")
	runtime.SkipBodyDownload(req)
	resp, err := c.pipeline.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response of %s %s: %w", req.Raw().Method, req.Raw().URL.Path, err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("the response of %s %s is larger than %d MiB; refusing to read it", req.Raw().Method, req.Raw().URL.Path, maxResponseBytes>>20)
	}
	if !runtime.HasStatusCode(resp, ok...) {
		return nil, newError(resp, body)
	}
	return body, nil
}

// clientRequestIDPolicy tags each call with the client-request-id header
// Graph echoes back, so an error can be matched to a request in Microsoft's logs.
type clientRequestIDPolicy struct{}

func (clientRequestIDPolicy) Do(req *policy.Request) (*http.Response, error) {
	if req.Raw().Header.Get("client-request-id") == "" {
		req.Raw().Header.Set("client-request-id", uuid.NewString())
	}
	return req.Next()
}
