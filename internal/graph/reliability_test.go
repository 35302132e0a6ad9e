package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

const (
	emuConfigID = "6f1b7e5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
	emuGroupA   = "aaaaaaaa-0000-4000-8000-00000000000a"
	emuGroupB   = "bbbbbbbb-0000-4000-8000-00000000000b"
)

// newEmulatorClient is a Client on the emulator with a real azidentity
// credential, as the provider builds it. Retries wait 1 ms unless Graph says
// otherwise, so tests do not sit in backoff.
func newEmulatorClient(t testing.TB, opts Options) (*Client, *graphfake.Server) {
	t.Helper()
	srv, err := graphfake.Start(graphfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddConfiguration(emuConfigID, "reliability")
	return newClientFor(t, srv, opts), srv
}

// newClientFor is a client of srv authenticating with its default application.
func newClientFor(t testing.TB, srv *graphfake.Server, opts Options) *Client {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(srv.TenantID(), srv.ClientID(), srv.ClientSecret(), &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            policy.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL() + "/"}, Transport: srv.HTTPClient()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts.Transport = srv.HTTPClient()
	if opts.Retry.RetryDelay == 0 {
		opts.Retry.RetryDelay = time.Millisecond
	}
	c, err := New(srv.URL(), cred, &opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func assignOne(groupID string) Assignments {
	return Assignments{
		Groups:  []GroupAssignment{{TargetGroupID: groupID}},
		Targets: []TargetAssignment{{Target: Target{ODataType: TargetGroup, GroupID: groupID}}},
	}
}

func assignCalls(srv *graphfake.Server) []graphfake.Request {
	var out []graphfake.Request
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/assign") {
			out = append(out, r)
		}
	}
	return out
}

// Assign replaces the whole set, so sending it again after a connection
// dropped (before or after Graph applied it) ends in exactly the same state.
func TestAssignIsRetriedSafelyAfterADroppedConnection(t *testing.T) {
	for _, mode := range []graphfake.DropMode{graphfake.DropBeforeApply, graphfake.DropAfterApply} {
		t.Run(fmt.Sprint(map[graphfake.DropMode]string{graphfake.DropBeforeApply: "before apply", graphfake.DropAfterApply: "after apply"}[mode]), func(t *testing.T) {
			c, srv := newEmulatorClient(t, Options{})
			ctx := context.Background()
			if err := c.Assign(ctx, emuConfigID, assignOne(emuGroupB)); err != nil { // something to replace
				t.Fatal(err)
			}
			srv.ResetRequests()
			srv.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: "/assign", Drop: mode})

			want := Assignments{Groups: []GroupAssignment{{TargetGroupID: emuGroupA}}}
			if err := c.Assign(ctx, emuConfigID, want); err != nil {
				t.Fatalf("Assign after a dropped connection: %v", err)
			}
			calls := assignCalls(srv)
			if len(calls) != 2 || !calls[0].Dropped || calls[1].Dropped || calls[0].ClientRequestID != calls[1].ClientRequestID {
				t.Fatalf("assign calls: %+v, want one dropped then one retried with the same client-request-id", calls)
			}
			if wantStatus := map[graphfake.DropMode]int{graphfake.DropBeforeApply: 0, graphfake.DropAfterApply: http.StatusNoContent}[mode]; calls[0].Status != wantStatus {
				t.Errorf("dropped call: service status %d, want %d", calls[0].Status, wantStatus)
			}
			got, err := c.GetAssignments(ctx, emuConfigID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.SameSet(want) || len(got.Groups) != 1 || len(got.Targets) != 0 {
				t.Errorf("Graph holds %+v, want exactly %+v", got, want)
			}
		})
	}
}

func TestTransientErrorsAreRetried(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	ctx := context.Background()
	srv.InjectFault(graphfake.Fault{Method: http.MethodPost, Status: http.StatusServiceUnavailable})
	srv.InjectFault(graphfake.Fault{Method: http.MethodPost, Status: http.StatusGatewayTimeout})
	srv.InjectFault(graphfake.Fault{Method: http.MethodGet, PathSuffix: emuConfigID, Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	srv.InjectFault(graphfake.Fault{Method: http.MethodGet, PathSuffix: emuConfigID, Status: http.StatusServiceUnavailable, Count: 2})
	if err := c.Assign(ctx, emuConfigID, assignOne(emuGroupA)); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetAssignments(ctx, emuConfigID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.SameSet(assignOne(emuGroupA)) {
		t.Errorf("read %+v", got)
	}
	if st := graphfake.Summarize(srv.Requests()); st.Retries != 5 {
		t.Errorf("%d retries, want 5 (one per injected failure): %+v", st.Retries, st)
	}
}

// A token that Graph stops accepting mid-run (expired early, revoked) is
// replaced: the request is sent again with a new token, not failed.
func TestExpiredTokenIsReplacedOnce(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	ctx := context.Background()
	if _, err := c.GetAssignments(ctx, emuConfigID); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()
	if err := c.Assign(ctx, emuConfigID, assignOne(emuGroupA)); err != nil {
		t.Fatalf("Assign with an expired token: %v", err)
	}
	if _, err := c.GetAssignments(ctx, emuConfigID); err != nil {
		t.Fatal(err)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Errorf("%d tokens granted, want 2 (the first, and one to replace it)", n)
	}

	// A 401 that a new token does not cure is an error, after one new token.
	srv.InjectFault(graphfake.Fault{PathSuffix: "/assign", Status: http.StatusUnauthorized, Count: 2})
	err := c.Assign(ctx, emuConfigID, assignOne(emuGroupB))
	var ge *Error
	if !errors.As(err, &ge) || ge.StatusCode != http.StatusUnauthorized || ge.Code != "InvalidAuthenticationToken" || ge.RequestID == "" {
		t.Fatalf("err = %v, want Graph's 401 with its request-id", err)
	}
	if n := srv.TokenRequests(); n != 3 {
		t.Errorf("%d tokens granted, want 3", n)
	}
}

// A token Graph refused is never sent again, even when another request asks
// for a token first. The bearer policy shares one token acquisition among
// the requests in flight, and a request asks without claims, which MSAL
// answers from its cache: with the token Graph has just refused. Here a read
// is authorized in the moment between the bearer policy dropping the
// assign's refused token and the assign asking for a fresh one (the
// challenged hook holds the assign there); the assign, resent once, must get
// a token Graph accepts.
func TestRefusedTokenIsNotHandedOutAgain(t *testing.T) {
	srv, err := graphfake.Start(graphfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	const other = "0e2c4a6b-8d1f-4e3a-9b5c-7d9f1a3c5e7b"
	srv.AddConfiguration(emuConfigID, "refused")
	srv.AddConfiguration(other, "read meanwhile")
	cred, err := azidentity.NewClientSecretCredential(srv.TenantID(), srv.ClientID(), srv.ClientSecret(), &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            policy.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL() + "/"}, Transport: srv.HTTPClient()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	readAuthorized, sendRead := make(chan struct{}), make(chan struct{})
	transport := &holdingTransport{next: srv.HTTPClient(), pathSuffix: other, held: readAuthorized, release: sendRead}
	assignRefused, askForToken := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	c, err := New(srv.URL(), cred, &Options{
		Transport: transport,
		Retry:     policy.RetryOptions{RetryDelay: time.Millisecond},
		challenged: func() {
			if first.CompareAndSwap(false, true) {
				close(assignRefused)
				<-askForToken
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.GetConfiguration(ctx, emuConfigID); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()

	assigned := make(chan error, 1)
	go func() { assigned <- c.Assign(ctx, emuConfigID, assignOne(emuGroupA)) }()
	<-assignRefused
	read := make(chan error, 1)
	go func() {
		_, err := c.GetConfiguration(ctx, other)
		read <- err
	}()
	<-readAuthorized // the read has its token, and is held before it is sent
	close(askForToken)
	if err := <-assigned; err != nil {
		t.Errorf("the assign, refused once, was resent with a token Graph refuses: %v", err)
	}
	close(sendRead)
	if err := <-read; err != nil {
		t.Error(err)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Errorf("%d tokens granted, want 2 (the first, and one to replace it)", n)
	}
}

// holdingTransport holds the first request whose path ends in pathSuffix
// before it is sent: it closes held, then waits until release is closed.
type holdingTransport struct {
	next          policy.Transporter
	pathSuffix    string
	held, release chan struct{}
	once          sync.Once
}

func (h *holdingTransport) Do(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, h.pathSuffix) {
		h.once.Do(func() {
			close(h.held)
			<-h.release
		})
	}
	return h.next.Do(r)
}

func TestForbiddenKeepsGraphsMessage(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	srv.InjectFault(graphfake.Fault{PathSuffix: "/assign", Status: http.StatusForbidden})
	err := c.Assign(context.Background(), emuConfigID, assignOne(emuGroupA))
	var ge *Error
	if !errors.As(err, &ge) || ge.StatusCode != http.StatusForbidden || !strings.Contains(ge.Message, "DeviceManagementApps.ReadWrite.All") || ge.RequestID == "" {
		t.Fatalf("err = %v", err)
	}
	if n := len(assignCalls(srv)); n != 1 {
		t.Errorf("%d assign calls, want 1: a 403 is not retried", n)
	}
}

// The write budget holds back writes only, and refuses at once a wait that
// would outlast the deadline, saying what it waited for.
func TestWriteBudgetRefusesAWaitPastTheDeadline(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{WritesPerWindow: 1, Window: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Assign(ctx, emuConfigID, assignOne(emuGroupA)); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := c.GetAssignments(ctx, emuConfigID); err != nil {
			t.Fatalf("reads must not wait for the write budget: %v", err)
		}
	}
	err := c.Assign(ctx, emuConfigID, assignOne(emuGroupB))
	var te *TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "write slot from the provider's limiter (1 writes per 1h0m0s") {
		t.Fatalf("err = %v, want a TimeoutError about the write budget", err)
	}
	if ctx.Err() != nil {
		t.Error("the limiter waited for the deadline instead of refusing at once")
	}
	if n := len(assignCalls(srv)); n != 1 {
		t.Errorf("%d assign calls reached Graph, want 1", n)
	}
	if limit, window := c.WritesPerWindow(); limit != 1 || window != time.Hour {
		t.Errorf("WritesPerWindow = %d per %v", limit, window)
	}
}

// Against every reading of Intune's limit the emulator plays, a client
// whose budget is the limit's uses it whole and is never throttled: 3 x the
// budget of concurrent writes take two windows, with no 429.
func TestWriteBudgetMeetsEveryReadingOfIntunesLimit(t *testing.T) {
	const budget, window = 10, time.Second
	for _, model := range graphfake.ThrottleModels {
		t.Run(string(model), func(t *testing.T) {
			c, srv := newEmulatorClient(t, Options{WritesPerWindow: budget, Window: window})
			srv.SetWriteLimit(&graphfake.WriteLimit{PerApp: budget, PerTenant: 2 * budget, Window: window, Model: model})
			start := time.Now()
			assignConcurrently(t, context.Background(), c, 3*budget, emuGroupA)
			st := graphfake.Summarize(srv.Requests())
			if st.Throttled != 0 || st.Writes != 3*budget {
				t.Errorf("%d writes, %d throttled; want %d and none", st.Writes, st.Throttled, 3*budget)
			}
			// A lower bound, which a busy machine cannot break.
			if d := time.Since(start); d < 2*window {
				t.Errorf("%d writes at %d per %v took %v, want at least two windows", 3*budget, budget, window, d)
			}
		})
	}
}

// Writes the limiter cannot see (another tool with the same application)
// cost a handful of 429s: each stops every writer for Retry-After and
// shrinks the budget for the window, and every write completes.
func TestWriteBudgetAdaptsToAnotherWriter(t *testing.T) {
	const budget, window = 10, 2 * time.Second
	c, srv := newEmulatorClient(t, Options{WritesPerWindow: budget, Window: window})
	srv.SetWriteLimit(&graphfake.WriteLimit{PerApp: budget, PerTenant: 2 * budget, Window: window, Model: graphfake.ThrottleSlidingWindow})
	other := newClientFor(t, srv, Options{WritesPerWindow: budget / 2, Window: window})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { assignConcurrently(t, ctx, c, 30, emuGroupA) })
	wg.Go(func() { assignConcurrently(t, ctx, other, 10, emuGroupB) }) // the other tool, with half the budget, at the same time
	wg.Wait()
	st := graphfake.Summarize(srv.Requests())
	if st.Throttled == 0 || st.Throttled > 3*budget {
		t.Errorf("%d 429s, want some and at most %d: a few per window, not a storm", st.Throttled, 3*budget)
	}
	t.Logf("%d writes, %d answered 429", st.Writes, st.Throttled)
}

// assignConcurrently sends n assigns of group at once and fails t if one fails.
func assignConcurrently(t *testing.T, ctx context.Context, c *Client, n int, group string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- c.Assign(ctx, emuConfigID, assignOne(group)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestTimeoutSaysWhatItWaitedFor(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	srv.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: "/assign", Status: http.StatusTooManyRequests, RetryAfter: time.Second, Count: 1000})
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	err := c.Assign(ctx, emuConfigID, assignOne(emuGroupA))
	var te *TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %#v, want a TimeoutError", err)
	}
	for _, want := range []string{"Graph to stop throttling POST", "/assign", "HTTP 429", "Retry-After: 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if te.RetryAfter != time.Second {
		t.Errorf("RetryAfter = %v, want the 1s Graph asked for", te.RetryAfter)
	}

	srv.ClearFaults()
	srv.InjectFault(graphfake.Fault{Method: http.MethodGet, Delay: time.Minute, Count: 1000})
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = c.GetConfiguration(ctx, emuConfigID)
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "Graph to answer GET /beta/deviceAppManagement/iosLobAppProvisioningConfigurations/"+emuConfigID) {
		t.Fatalf("slow answer: err = %v", err)
	}
	if te.RetryAfter != 0 {
		t.Errorf("slow answer: RetryAfter = %v, want 0 (nothing asked the call to wait)", te.RetryAfter)
	}
}

// A refresh is one request; paged expansions are followed to the end.
func TestGetAssignmentsIsOneRequest(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	ctx := context.Background()
	want := Assignments{
		Groups: []GroupAssignment{{TargetGroupID: emuGroupA}, {TargetGroupID: emuGroupB}},
		Targets: []TargetAssignment{
			{Target: Target{ODataType: TargetGroup, GroupID: emuGroupA}},
			{Target: Target{ODataType: TargetConfigurationManagerCollection, CollectionID: "SMS00001"}},
			{Target: Target{ODataType: TargetAllDevices}},
		},
	}
	if err := c.Assign(ctx, emuConfigID, want); err != nil {
		t.Fatal(err)
	}
	for _, pageSize := range []int{100, 1} {
		srv.SetPageSize(pageSize)
		srv.ResetRequests()
		got, err := c.GetAssignments(ctx, emuConfigID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.SameSet(want) || len(got.Groups) != 2 || len(got.Targets) != 3 {
			t.Errorf("page size %d: read %+v", pageSize, got)
		}
		st := graphfake.Summarize(srv.Requests())
		// The entity and the two collections; with one item per page, 1
		// more page of groups and 2 of targets.
		if wantRequests := map[int]int{100: 3, 1: 6}[pageSize]; st.Graph != wantRequests {
			t.Errorf("page size %d: %d requests %+v, want %d", pageSize, st.Graph, srv.Requests(), wantRequests)
		}
		for _, r := range srv.Requests() {
			if strings.Contains(r.RawQuery, "$expand") {
				t.Errorf("%s?%s: reads never rest on $expand", r.Path, r.RawQuery)
			}
		}
	}
}

// The data source's read: the configuration with its payload and both
// collections, in three requests.
func TestGetConfigurationWithAssignments(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	ctx := context.Background()
	if err := c.Assign(ctx, emuConfigID, assignOne(emuGroupA)); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	cfg, a, err := c.GetConfigurationWithAssignments(ctx, emuConfigID)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ID != emuConfigID || cfg.DisplayName != "reliability" || cfg.Payload == "" || !a.SameSet(assignOne(emuGroupA)) {
		t.Errorf("read %+v %+v", cfg, a)
	}
	if log := srv.Requests(); len(log) != 3 {
		t.Errorf("requests %+v, want the entity and both collections", log)
	}
}

// Every read gives the true answer under each behaviour the real service is
// known or documented to show (graphfake.ReadBehaviours), and costs what
// ARCHITECTURE.md says: three requests for a configuration and its
// assignments, one list request (two when the plain list is empty).
func TestReadsUnderEveryBehaviour(t *testing.T) {
	want := Assignments{
		Groups: []GroupAssignment{{TargetGroupID: emuGroupA}, {TargetGroupID: emuGroupB}, {TargetGroupID: "cccccccc-0000-0000-0000-00000000000c"}},
		Targets: []TargetAssignment{
			{Target: Target{ODataType: TargetGroup, GroupID: emuGroupA, FilterType: FilterTypeNone}},
			{Target: Target{ODataType: TargetAllDevices, FilterType: FilterTypeNone}},
		},
	}
	const other = "0b0b0b0b-0000-0000-0000-00000000000b"
	for _, reads := range graphfake.ReadBehaviours {
		for _, pageSize := range []int{100, 1} {
			t.Run(fmt.Sprintf("%s/page-size-%d", reads, pageSize), func(t *testing.T) {
				srv, err := graphfake.Start(graphfake.Options{Reads: reads, PageSize: pageSize})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(srv.Close)
				srv.AddConfiguration(emuConfigID, "reads")
				srv.AddConfiguration(other, "other")
				c := newClientFor(t, srv, Options{})
				ctx := context.Background()
				if err := c.Assign(ctx, emuConfigID, want); err != nil {
					t.Fatal(err)
				}

				srv.ResetRequests()
				got, err := c.GetAssignments(ctx, emuConfigID)
				if err != nil || !got.SameSet(want) {
					t.Fatalf("GetAssignments: %+v, %v; want %+v", got, err, want)
				}
				if n := graphRequests(srv); pageSize == 100 && n != 3 {
					t.Errorf("GetAssignments: %d requests, want 3", n)
				}

				srv.ResetRequests()
				cfg, got, err := c.GetConfigurationWithAssignments(ctx, emuConfigID)
				if err != nil || !got.SameSet(want) || cfg.ID != emuConfigID || cfg.Payload == "" || cfg.DisplayName != "reads" {
					t.Fatalf("GetConfigurationWithAssignments: %+v %+v, %v", cfg, got, err)
				}
				if n := graphRequests(srv); pageSize == 100 && n != 3 {
					t.Errorf("GetConfigurationWithAssignments: %d requests, want 3", n)
				}

				srv.ResetRequests()
				list, err := c.ListConfigurations(ctx)
				if err != nil || len(list) != 2 || list[0].ID != emuConfigID || list[1].ID != other || list[0].Payload != "" {
					t.Fatalf("ListConfigurations: %+v, %v", list, err)
				}
				if n, want := graphRequests(srv), map[bool]int{true: 2, false: 1}[reads == graphfake.ReadsListNeedsExpand]; pageSize == 100 && n != want {
					t.Errorf("ListConfigurations: %d requests, want %d", n, want)
				}

				// An empty configuration reads as empty; a deleted one as gone.
				if err := c.Assign(ctx, emuConfigID, Assignments{}); err != nil {
					t.Fatal(err)
				}
				if got, err := c.GetAssignments(ctx, emuConfigID); err != nil || len(got.Groups)+len(got.Targets) != 0 {
					t.Errorf("after emptying: %+v, %v", got, err)
				}
				srv.DeleteConfiguration(emuConfigID)
				if _, err := c.GetAssignments(ctx, emuConfigID); !IsNotFound(err) {
					t.Errorf("a deleted configuration: %v, want a 404", err)
				}
				srv.DeleteConfiguration(other)
				if list, err := c.ListConfigurations(ctx); err != nil || len(list) != 0 {
					t.Errorf("an empty tenant: %+v, %v", list, err)
				}
			})
		}
	}
}

func graphRequests(srv *graphfake.Server) int { return graphfake.Summarize(srv.Requests()).Graph }

// The three reads of a configuration are in flight together: one round trip
// of latency. The server answers none until all three have arrived, so a
// client that sent them one after the other would never finish.
func TestGetAssignmentsSendsItsReadsConcurrently(t *testing.T) {
	var arrived sync.WaitGroup
	arrived.Add(3)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		select {
		case <-all:
		case <-time.After(time.Minute):
			w.WriteHeader(http.StatusBadRequest) // serialised: fail (not retried) rather than hang
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/groupAssignments"):
			fmt.Fprint(w, `{"value":[{"id":"1","targetGroupId":"11111111-1111-1111-1111-111111111111"}]}`)
		case strings.HasSuffix(r.URL.Path, "/assignments"):
			fmt.Fprint(w, `{"value":[{"id":"2","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterType":"none"}}]}`)
		default:
			fmt.Fprint(w, `{"id":"00000000-0000-0000-0000-000000000001"}`)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, err := c.GetAssignments(ctx, "00000000-0000-0000-0000-000000000001")
	if err != nil || len(a.Groups) != 1 || len(a.Targets) != 1 {
		t.Fatalf("%+v, %v", a, err)
	}
}

// A next link of a collection route that leaves the endpoint is refused:
// following it would hand the bearer token to another host.
func TestCollectionNextLinkToAnotherHostIsRefused(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/groupAssignments") {
			fmt.Fprint(w, `{"value":[],"@odata.nextLink":"https://evil.example/steal"}`)
			return
		}
		fmt.Fprint(w, `{"id":"x","value":[]}`)
	})
	_, err := c.GetAssignments(context.Background(), "00000000-0000-0000-0000-000000000001")
	if err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("err = %v", err)
	}
}
