package graphfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func assignPath() string { return configPath(testConfigID) + "/assign" }

// groupIDsRead reads the groupAssignments collection through Graph.
func groupIDsRead(t *testing.T, s *Server, token string) []string {
	t.Helper()
	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/groupAssignments", "")
	if r.status != http.StatusOK {
		t.Fatalf("read: status %d, body %s", r.status, r.body)
	}
	var page struct {
		Value []struct {
			TargetGroupID string `json:"targetGroupId"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, v := range page.Value {
		ids = append(ids, v.TargetGroupID)
	}
	return ids
}

func TestWriteThrottleBuckets(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := newWriteThrottle(WriteLimit{PerApp: 100, PerTenant: 200, Window: 20 * time.Second}, now)

	admitted := func(app string, n int) int {
		ok := 0
		for range n {
			if admitted, _ := th.admit(app, true, now); admitted {
				ok++
			}
		}
		return ok
	}
	if got := admitted("a", 150); got != 100 {
		t.Errorf("app a: %d of 150 writes admitted at once, want its 100", got)
	}
	if got := admitted("b", 150); got != 100 {
		t.Errorf("app b: %d admitted, want 100 (the tenant still has room)", got)
	}
	if got := admitted("c", 10); got != 0 {
		t.Errorf("app c: %d admitted, want 0 (the tenant's 200 are spent)", got)
	}
	_, wait := th.admit("a", true, now)
	if wait != 200*time.Millisecond {
		t.Errorf("wait = %v, want 200ms (100 per 20 s refill one every 200 ms)", wait)
	}

	// One second later each app bucket has 5 tokens back and the tenant 10.
	now = now.Add(time.Second)
	if got := admitted("a", 10); got != 5 {
		t.Errorf("after 1s app a: %d admitted, want 5", got)
	}
	if got := admitted("c", 10); got != 5 {
		t.Errorf("after 1s app c: %d admitted, want 5 (the tenant had 10, a took 5)", got)
	}
}

// The window readings of "100 writes per 20 seconds": a sliding window
// frees a burst only when it is a window old, fixed windows reset at their
// boundaries; reads have their own, larger limit.
func TestWriteThrottleWindows(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	admitted := func(th *writeThrottle, write bool, at time.Time, n int) (ok int, wait time.Duration) {
		for range n {
			if admitted, w := th.admit("a", write, at); admitted {
				ok++
			} else {
				wait = w
			}
		}
		return ok, wait
	}
	limit := WriteLimit{PerApp: 100, PerTenant: 200, RequestsPerApp: 1000, RequestsPerTenant: 2000, Window: 20 * time.Second}

	limit.Model = ThrottleSlidingWindow
	th := newWriteThrottle(limit, start)
	if ok, _ := admitted(th, true, start.Add(5*time.Second), 100); ok != 100 {
		t.Fatalf("sliding: %d of 100 at once", ok)
	}
	if ok, wait := admitted(th, true, start.Add(24*time.Second), 1); ok != 0 || wait != time.Second {
		t.Errorf("sliding, 19 s after the burst: %d admitted, wait %v; want 0 and 1s", ok, wait)
	}
	if ok, _ := admitted(th, true, start.Add(25*time.Second), 150); ok != 100 {
		t.Errorf("sliding, a window after the burst: %d admitted, want 100", ok)
	}

	limit.Model = ThrottleFixedWindow
	th = newWriteThrottle(limit, start)
	if ok, _ := admitted(th, true, start.Add(19*time.Second), 150); ok != 100 {
		t.Fatalf("fixed: %d of 150 in the first window", ok)
	}
	if ok, wait := admitted(th, true, start.Add(19500*time.Millisecond), 1); ok != 0 || wait != 500*time.Millisecond {
		t.Errorf("fixed, late in the first window: %d, wait %v; want 0 and 500ms", ok, wait)
	}
	if ok, _ := admitted(th, true, start.Add(20*time.Second), 150); ok != 100 {
		t.Errorf("fixed, the next window: %d admitted, want 100 a second after the last burst", ok)
	}

	limit.Model = ThrottleTokenBucket
	th = newWriteThrottle(limit, start)
	if ok, _ := admitted(th, false, start, 1200); ok != 1000 {
		t.Errorf("reads: %d of 1200 admitted, want the 1000 of any kind per app", ok)
	}
	if ok, _ := admitted(th, true, start, 1); ok != 0 {
		t.Errorf("a write after 1000 reads: admitted, but writes count among requests of any kind")
	}
}

func TestWriteLimitAnswers429WithRetryAfter(t *testing.T) {
	s := startServer(t, Options{WriteLimit: &WriteLimit{PerApp: 2, PerTenant: 10, Window: 2 * time.Second}})
	token := requestToken(t, s)
	body := assignBody([]string{groupA}, nil)

	for i := range 2 {
		if r := graphCall(t, s, token, http.MethodPost, assignPath(), body); r.status != http.StatusNoContent {
			t.Fatalf("write %d: status %d", i, r.status)
		}
	}
	r := graphCall(t, s, token, http.MethodPost, assignPath(), body)
	e := parseGraphError(t, r)
	if r.status != http.StatusTooManyRequests || e.Error.Code != "TooManyRequests" || r.header.Get("Retry-After") != "1" {
		t.Fatalf("third write: status %d, code %q, Retry-After %q", r.status, e.Error.Code, r.header.Get("Retry-After"))
	}
	if !strings.Contains(e.Error.Message, `"RetryAfter":1`) {
		t.Errorf("Intune's envelope lacks RetryAfter: %s", e.Error.Message)
	}
	// Reads are not writes.
	if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusOK {
		t.Errorf("read while writes are throttled: status %d", r.status)
	}
	// Waiting out Retry-After makes room (a lower bound: it cannot flake).
	time.Sleep(time.Second)
	if r := graphCall(t, s, token, http.MethodPost, assignPath(), body); r.status != http.StatusNoContent {
		t.Errorf("write after Retry-After: status %d", r.status)
	}

	s.SetWriteLimit(nil)
	for i := range 5 {
		if r := graphCall(t, s, token, http.MethodPost, assignPath(), body); r.status != http.StatusNoContent {
			t.Fatalf("unthrottled write %d: status %d", i, r.status)
		}
	}
	if st := Summarize(s.Requests()); st.Throttled != 1 || st.Writes != 9 {
		t.Errorf("Summarize = %+v, want 1 throttled of 9 writes", st)
	}
}

func TestDroppedConnections(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	s.InjectFault(Fault{Method: http.MethodPost, PathSuffix: "/assign", Drop: DropBeforeApply})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+assignPath(), strings.NewReader(assignBody([]string{groupA}, nil)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := s.HTTPClient().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped before apply: got status %d, want a transport error", resp.StatusCode)
	}
	if groups, _, _ := s.Assignments(testConfigID); len(groups) != 0 {
		t.Errorf("dropped before apply, yet the write happened: %v", groups)
	}

	s.InjectFault(Fault{Method: http.MethodPost, PathSuffix: "/assign", Drop: DropAfterApply})
	req, _ = http.NewRequest(http.MethodPost, s.URL()+assignPath(), strings.NewReader(assignBody([]string{groupB}, nil)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := s.HTTPClient().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped after apply: got status %d, want a transport error", resp.StatusCode)
	}
	if groups, _, _ := s.Assignments(testConfigID); len(groups) != 1 || groups[0] != groupB {
		t.Errorf("dropped after apply: Graph holds %v, want the write applied", groups)
	}

	var dropped []Request
	for _, r := range s.Requests() {
		if r.Dropped {
			dropped = append(dropped, r)
		}
	}
	if len(dropped) != 2 || dropped[0].Status != 0 || dropped[1].Status != http.StatusNoContent {
		t.Errorf("log of dropped requests: %+v", dropped)
	}
	// The server keeps serving.
	if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusOK {
		t.Errorf("after drops: status %d", r.status)
	}
}

func TestSlowAnswer(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	s.InjectFault(Fault{Method: http.MethodGet, PathSuffix: "/assignments", Delay: 300 * time.Millisecond})
	start := time.Now()
	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/assignments", "")
	if r.status != http.StatusOK {
		t.Fatalf("slow answer: status %d (a delay alone must not fail the request)", r.status)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answered after %v, want at least the 300ms delay", d)
	}

	// A delay with a status answers late and fails.
	s.InjectFault(Fault{Delay: 10 * time.Millisecond, Status: http.StatusGatewayTimeout})
	if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusGatewayTimeout {
		t.Errorf("delay + status: status %d", r.status)
	}
}

func TestReadLag(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	assign := func(groups ...string) {
		t.Helper()
		if r := graphCall(t, s, token, http.MethodPost, assignPath(), assignBody(groups, nil)); r.status != http.StatusNoContent {
			t.Fatalf("assign: status %d", r.status)
		}
	}
	assign(groupA)

	// A lag far longer than the test: reads must still show the old set.
	s.InjectFault(Fault{Method: http.MethodPost, PathSuffix: "/assign", ReadLag: time.Hour})
	assign(groupB)
	if got := groupIDsRead(t, s, token); len(got) != 1 || got[0] != groupA {
		t.Errorf("read during the lag shows %v, want the previous set [%s]", got, groupA)
	}
	if groups, _, _ := s.Assignments(testConfigID); len(groups) != 1 || groups[0] != groupB {
		t.Errorf("Graph holds %v, want the write applied", groups)
	}
	// Another assign during the lag: reads still show the set from before the first.
	s.InjectFault(Fault{Method: http.MethodPost, PathSuffix: "/assign", ReadLag: time.Hour})
	assign(groupA, groupB)
	if got := groupIDsRead(t, s, token); len(got) != 1 || got[0] != groupA {
		t.Errorf("read during an extended lag shows %v, want [%s]", got, groupA)
	}

	// An out-of-band edit is visible at once.
	if err := s.SetAssignments(testConfigID, []string{groupB}, nil); err != nil {
		t.Fatal(err)
	}
	if got := groupIDsRead(t, s, token); len(got) != 1 || got[0] != groupB {
		t.Errorf("after SetAssignments reads show %v", got)
	}

	// A global lag that is over by the time we look.
	s.SetReadLag(50 * time.Millisecond)
	assign(groupA)
	time.Sleep(100 * time.Millisecond)
	if got := groupIDsRead(t, s, token); len(got) != 1 || got[0] != groupA {
		t.Errorf("after the lag reads show %v, want [%s]", got, groupA)
	}
}

func TestExpireTokensFault(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	s.InjectFault(Fault{Method: http.MethodGet, PathSuffix: "/assignments", ExpireTokens: true})

	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/assignments", "")
	e := parseGraphError(t, r)
	if r.status != http.StatusUnauthorized || !strings.Contains(e.Error.Message, "expired") || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("request with a token expired mid-run: status %d, body %s", r.status, r.body)
	}
	if r := graphCall(t, s, requestToken(t, s), http.MethodGet, configPath(testConfigID)+"/assignments", ""); r.status != http.StatusOK {
		t.Errorf("with a new token: status %d", r.status)
	}
	if n := len(s.IssuedTokens()); n != 2 {
		t.Errorf("IssuedTokens has %d tokens, want 2", n)
	}
}

func TestAuthorizationFaultBodies(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	s.InjectFault(Fault{PathSuffix: "/assign", Status: http.StatusUnauthorized})
	r := graphCall(t, s, token, http.MethodPost, assignPath(), assignBody(nil, nil))
	e := parseGraphError(t, r)
	if r.status != http.StatusUnauthorized || e.Error.Code != "InvalidAuthenticationToken" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
		t.Errorf("401: status %d code %q challenge %q", r.status, e.Error.Code, r.header.Get("WWW-Authenticate"))
	}

	s.InjectFault(Fault{PathSuffix: "/assign", Status: http.StatusForbidden})
	r = graphCall(t, s, token, http.MethodPost, assignPath(), assignBody(nil, nil))
	e = parseGraphError(t, r)
	if r.status != http.StatusForbidden || e.Error.Code != "Forbidden" || !strings.Contains(e.Error.Message, "DeviceManagementApps.ReadWrite.All") {
		t.Errorf("403: status %d code %q message %q", r.status, e.Error.Code, e.Error.Message)
	}
}

func TestFaultProbability(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	s.InjectFault(Fault{Method: http.MethodGet, Status: http.StatusServiceUnavailable, Probability: 0.5, Count: 1000})
	failed := 0
	const n = 100
	for range n {
		if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status == http.StatusServiceUnavailable {
			failed++
		}
	}
	// The chance of either bound failing by luck is about 1e-15.
	if failed < 10 || failed > 90 {
		t.Errorf("%d of %d requests failed at probability 0.5", failed, n)
	}
}

func TestSummarizeCountsRetries(t *testing.T) {
	log := []Request{
		{Method: http.MethodPost, Path: "/" + DefaultTenantID + "/oauth2/v2.0/token", Status: 200, ClientRequestID: "t"},
		{Method: http.MethodPost, Path: configPath(testConfigID) + "/assign", Status: 429, ClientRequestID: "a"},
		{Method: http.MethodPost, Path: configPath(testConfigID) + "/assign", Status: 0, Dropped: true, ClientRequestID: "a"},
		{Method: http.MethodPost, Path: configPath(testConfigID) + "/assign", Status: 204, ClientRequestID: "a"},
		{Method: http.MethodGet, Path: configPath(testConfigID), Status: 200, ClientRequestID: "b"},
	}
	want := Stats{Graph: 4, Writes: 3, Throttled: 1, Dropped: 1, Retries: 2, Token: 1}
	if got := Summarize(log); got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
}
