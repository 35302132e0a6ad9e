// Package graph is a small typed client for the Microsoft Graph (beta) calls
// that manage iOS LOB app provisioning configurations and their assignments.
//
// It is built on azcore's runtime.Pipeline: the bearer-token policy asks the
// credential for "{endpoint}/.default" and caches the token, the retry policy
// waits out 429/503/504 and dropped connections honouring Retry-After, a
// limiter keeps requests and writes inside Intune's budget, and the logging policy
// redacts headers. There are no Terraform imports here.
package graph

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
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
	// WritesPerWindow is how many writes Graph may count from this client
	// in any Window, retries included; 0 means IntuneWritesPerWindow.
	WritesPerWindow int
	// RequestsPerWindow is the same for requests of any kind, writes
	// included; 0 means IntuneRequestsPerWindow.
	RequestsPerWindow int
	// Window is the length of the window; 0 means IntuneWindow.
	Window time.Duration
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
	limits   limitPolicy

	pollFirst, pollMax time.Duration // see poll; tests shorten them
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

	window := cmp.Or(opts.Window, IntuneWindow)
	limits := limitPolicy{
		requests: newWindowBudget("request", cmp.Or(opts.RequestsPerWindow, IntuneRequestsPerWindow), window, 0, false),
		writes:   newWindowBudget("write", cmp.Or(opts.WritesPerWindow, IntuneWritesPerWindow), window, maxWritesInFlight, true),
	}

	scopes := []string{endpoint + "/.default"}
	bearer := runtime.NewBearerTokenPolicy(cred, scopes, &policy.BearerTokenOptions{
		AuthorizationHandler: policy.AuthorizationHandler{
			// Graph refused a token the credential still holds as valid: it
			// expired early, was revoked, or the clocks disagree. The token
			// caches (azcore's and MSAL's) would hand the same token back, so
			// ask for a new one the way a CAE claims challenge does, which
			// bypasses them; azcore then resends the request once.
			OnChallenge: func(_ *policy.Request, _ *http.Response, authorize func(policy.TokenRequestOptions) error) error {
				return authorize(policy.TokenRequestOptions{Scopes: scopes, Claims: freshTokenClaims(time.Now())})
			},
		},
	})
	pl := runtime.NewPipeline(moduleName, "", runtime.PipelineOptions{
		AllowedHeaders: []string{"request-id", "client-request-id", "Retry-After"},
		PerCall:        []policy.Policy{clientRequestIDPolicy{}},
		// Per attempt: note the outcome, authorize, then wait for a slot of
		// Intune's budget, so that every request sent is counted.
		PerRetry: []policy.Policy{attemptPolicy{}, bearer, limits},
	}, &policy.ClientOptions{
		Retry:     retry,
		Transport: opts.Transport,
		Telemetry: policy.TelemetryOptions{ApplicationID: opts.ApplicationID},
	})
	return &Client{endpoint: endpoint, pipeline: pl, limits: limits, pollFirst: pollFirstDelay, pollMax: pollMaxDelay}, nil
}

// freshTokenClaims asks Entra for a token issued no earlier than now.
func freshTokenClaims(now time.Time) string {
	return fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, now.Unix())
}

// WritesPerWindow is the write budget of this client, and its window.
func (c *Client) WritesPerWindow() (int, time.Duration) {
	return c.limits.writes.max, c.limits.writes.window
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

// GetAssignments reads both assignment collections of a configuration
// (every page of each) and checks that the configuration exists; a 404 means
// it is gone. See getWithAssignments.
func (c *Client) GetAssignments(ctx context.Context, id string) (*Assignments, error) {
	_, a, err := c.getWithAssignments(ctx, id, c.configurationURL(id)+"?$select=id")
	return a, err
}

// getWithAssignments reads the configuration from entity and both of its
// assignment collections from their documented routes, {id}/assignments and
// {id}/groupAssignments, with three concurrent requests: one round trip of
// latency. It never relies on $expand: Intune has answered $expand of
// assignments with empty arrays on sibling entities, and an expanded answer
// cannot show that it is complete, so an expansion could make assignments
// that exist look absent (ARCHITECTURE.md, "Reads").
func (c *Client) getWithAssignments(ctx context.Context, id, entity string) (*Configuration, *Assignments, error) {
	var cfg Configuration
	var a Assignments
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.getJSON(gctx, entity, &cfg) })
	g.Go(func() (err error) {
		a.Groups, err = c.ListGroupAssignments(gctx, id)
		return err
	})
	g.Go(func() (err error) {
		a.Targets, err = c.ListTargetAssignments(gctx, id)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return &cfg, &a, nil
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
	return c.postAction(ctx, c.configurationURL(id)+"/assign", body)
}

// collectionPage is one page of a collection, as Graph sends it.
type collectionPage[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

func listAll[T any](ctx context.Context, c *Client, first string) ([]T, error) {
	items := []T{}
	for next := first; next != ""; {
		var page collectionPage[T]
		if err := c.getJSON(ctx, next, &page); err != nil {
			return nil, err
		}
		items = append(items, page.Value...)
		if page.NextLink != "" {
			if err := c.checkNextLink(page.NextLink); err != nil {
				return nil, err
			}
		}
		next = page.NextLink
	}
	return items, nil
}

// checkNextLink refuses a nextLink outside the endpoint: following it would
// hand our bearer token to another host.
func (c *Client) checkNextLink(next string) error {
	if !strings.HasPrefix(next, c.endpoint+"/") {
		return fmt.Errorf("Graph returned an @odata.nextLink outside %s: %q", c.endpoint, next)
	}
	return nil
}

func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	body, req, err := c.send(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding the response of GET %s: %w", req.Raw().URL.Path, err)
	}
	return nil
}

// send sends a request with a JSON body and returns the body of a response
// whose status is one of ok, and the request, which messages about the
// response name; or a *Error. The body is nil for none, an
// io.ReadSeekCloser of JSON as it is, or else a value to marshal.
func (c *Client) send(ctx context.Context, method, u string, body any, ok ...int) ([]byte, *policy.Request, error) {
	req, err := newRequest(ctx, method, u)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		content, isReader := body.(io.ReadSeekCloser)
		if !isReader {
			payload, err := json.Marshal(body)
			if err != nil {
				return nil, nil, err
			}
			content = streaming.NopCloser(bytes.NewReader(payload))
		}
		if err := req.SetBody(content, "application/json"); err != nil {
			return nil, nil, err
		}
	}
	resp, err := c.do(req, ok...)
	return resp, req, err
}

// sendEntity sends a create or an update of one entity with the body
// render makes, and decodes Graph's answer with decode; an answer with no
// content, where ok allows 204, is nil and no error.
func sendEntity[T any](ctx context.Context, c *Client, method, u string, render func() (any, error),
	decode func([]byte, *policy.Request) (*T, error), ok ...int) (*T, error) {
	payload, err := render()
	if err != nil {
		return nil, err
	}
	body, req, err := c.send(ctx, method, u, payload, ok...)
	if err != nil || len(bytes.TrimSpace(body)) == 0 && slices.Contains(ok, http.StatusNoContent) {
		return nil, err
	}
	return decode(body, req)
}

// decodeEntity decodes the entity Graph answered req with, which must have
// an id.
func decodeEntity[T any](body []byte, req *policy.Request, id func(*T) string) (*T, error) {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("decoding the response of %s %s: %w", req.Raw().Method, req.Raw().URL.Path, err)
	}
	if id(&v) == "" {
		return nil, fmt.Errorf("the response of %s %s has no id", req.Raw().Method, req.Raw().URL.Path)
	}
	return &v, nil
}

// newRequest is runtime.NewRequest with a record of the request's
// attempts, which do uses to explain a timeout.
func newRequest(ctx context.Context, method, u string) (*policy.Request, error) {
	return runtime.NewRequest(context.WithValue(ctx, attemptsKey{}, &attempts{}), method, u)
}

// do sends req and returns the body of a response whose status is one of ok,
// or a *Error. Bodies are read here, with a bound, rather than by azcore.
func (c *Client) do(req *policy.Request, ok ...int) ([]byte, error) {
	req.Raw().Header.Set("Accept", "application/json")
	runtime.SkipBodyDownload(req)
	resp, err := c.pipeline.Do(req)
	if err != nil {
		var timeout *TimeoutError
		if !errors.As(err, &timeout) && errors.Is(err, context.DeadlineExceeded) {
			a, _ := req.Raw().Context().Value(attemptsKey{}).(*attempts)
			err = &TimeoutError{Waiting: a.describe(req.Raw().Method, req.Raw().URL.Path), RetryAfter: a.waitingOut(), Err: err}
		}
		return nil, err
	}
	defer resp.Body.Close()
	what := req.Raw().Method + " " + req.Raw().URL.Path
	if resp.ContentLength > maxResponseBytes {
		return nil, fmt.Errorf("the response of %s is %d bytes, larger than %d MiB; refusing to read it", what, resp.ContentLength, maxResponseBytes>>20)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response of %s: %w", what, err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("the response of %s is larger than %d MiB; refusing to read it", what, maxResponseBytes>>20)
	}
	if !runtime.HasStatusCode(resp, ok...) {
		return nil, newError(resp, body)
	}
	return body, nil
}

// nonRetriable tells azcore's retry policy not to retry an error
// (it looks for this method, as its errorinfo.NonRetriable does).
type nonRetriable struct{ error }

func (nonRetriable) NonRetriable() {}

func (e nonRetriable) Unwrap() error { return e.error }

// attempts records how the attempts of one call went.
type attempts struct {
	count      int
	status     int           // of the last attempt that got an answer
	retryAfter string        // its Retry-After, if any
	wait       time.Duration // that Retry-After, read when it came (it may be a date)
	err        error         // of the last attempt, if it got no answer
}

type attemptsKey struct{}

// attemptPolicy fills in the call's attempts record.
type attemptPolicy struct{}

func (attemptPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if a, ok := req.Raw().Context().Value(attemptsKey{}).(*attempts); ok {
		a.count++
		a.err = err
		if resp != nil {
			a.status, a.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
			a.wait = parseRetryAfter(a.retryAfter)
		}
	}
	return resp, err
}

// waitingOut is the Retry-After the call was waiting out when its time ran
// out: that of the last answer, unless a later attempt got none.
func (a *attempts) waitingOut() time.Duration {
	if a == nil || a.err != nil {
		return 0
	}
	return a.wait
}

// describe says what a call whose time ran out was waiting for.
func (a *attempts) describe(method, path string) string {
	call := method + " " + path
	switch {
	case a == nil || a.count == 0:
		return "Graph to answer " + call
	case a.err != nil && errors.Is(a.err, context.DeadlineExceeded):
		return fmt.Sprintf("Graph to answer %s (attempt %d had no answer yet)", call, a.count)
	case a.err != nil:
		return fmt.Sprintf("Graph to answer %s: %d attempts, the last failed with: %v", call, a.count, a.err)
	case a.status == http.StatusTooManyRequests:
		wait := ""
		if a.retryAfter != "" {
			wait = " (Retry-After: " + a.retryAfter + ")"
		}
		return fmt.Sprintf("Graph to stop throttling %s: %d attempts, the last answered HTTP 429 Too Many Requests%s", call, a.count, wait)
	default:
		return fmt.Sprintf("Graph to recover for %s: %d attempts, the last answered HTTP %d %s", call, a.count, a.status, http.StatusText(a.status))
	}
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
