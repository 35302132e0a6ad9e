package graphfake

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// expandedAnswer is what one GET {id}?$expand=assignments,groupAssignments
// showed of the configuration's groups.
type expandedAnswer struct {
	status  int
	present bool // the groupAssignments property is in the answer
	inline  int  // entries inline
	next    bool // a groupAssignments@odata.nextLink
}

func getExpanded(t *testing.T, s *Server, token string) expandedAnswer {
	t.Helper()
	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"?$select=id&$expand=assignments,groupAssignments", "")
	a := expandedAnswer{status: r.status}
	if r.status != http.StatusOK {
		return a
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	raw, ok := body["groupAssignments"]
	a.present = ok
	var items []any
	if ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			t.Fatalf("groupAssignments is not an array: %s", raw)
		}
	}
	a.inline = len(items)
	_, a.next = body["groupAssignments@odata.nextLink"]
	return a
}

// listCount is how many configurations one page of the list answered.
func listCount(t *testing.T, s *Server, token, query string) int {
	t.Helper()
	r := graphCall(t, s, token, http.MethodGet, configurationsPath+query, "")
	var page struct {
		Value []any `json:"value"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || r.status != http.StatusOK {
		t.Fatalf("list%s: status %d, %s", query, r.status, r.body)
	}
	return len(page.Value)
}

func TestReadBehaviours(t *testing.T) {
	groups := []string{groupA, groupB, "cccccccc-0000-0000-0000-00000000000c"}
	tests := []struct {
		reads      ReadBehaviour
		want       expandedAnswer
		plainList  int // configurations a list without $expand shows
		expandList int // with $expand=assignments
	}{
		{ReadsHonourExpand, expandedAnswer{http.StatusOK, true, 2, true}, 1, 1},
		{ReadsIgnoreExpand, expandedAnswer{http.StatusOK, false, 0, false}, 1, 1},
		{ReadsEmptyExpand, expandedAnswer{http.StatusOK, true, 0, false}, 1, 1},
		{ReadsRefuseExpand, expandedAnswer{status: http.StatusBadRequest}, 1, -1},
		{ReadsTruncateExpand, expandedAnswer{http.StatusOK, true, 1, false}, 1, 1},
		{ReadsListNeedsExpand, expandedAnswer{http.StatusOK, true, 2, true}, 0, 1},
	}
	if len(tests) != len(ReadBehaviours) {
		t.Fatalf("%d behaviours tested, %d exist", len(tests), len(ReadBehaviours))
	}
	for _, tt := range tests {
		t.Run(string(tt.reads), func(t *testing.T) {
			s := startServer(t, Options{PageSize: 2, Reads: tt.reads})
			token := requestToken(t, s)
			if err := s.SetAssignments(testConfigID, groups, nil); err != nil {
				t.Fatal(err)
			}
			if got := getExpanded(t, s, token); got != tt.want {
				t.Errorf("GET {id}?$expand: %+v, want %+v", got, tt.want)
			}
			// The documented collection route is faithful under every behaviour.
			r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/groupAssignments", "")
			if r.status != http.StatusOK || !strings.Contains(string(r.body), groups[0]) || !strings.Contains(string(r.body), "@odata.nextLink") {
				t.Errorf("GET {id}/groupAssignments: %d %s", r.status, r.body)
			}
			if got := listCount(t, s, token, "?$select=id,displayName"); got != tt.plainList {
				t.Errorf("plain list: %d configurations, want %d", got, tt.plainList)
			}
			if tt.expandList < 0 {
				r := graphCall(t, s, token, http.MethodGet, configurationsPath+"?$expand=assignments", "")
				if e := parseGraphError(t, r); r.status != http.StatusBadRequest || !strings.Contains(e.Error.Message, "Expand") {
					t.Errorf("list?$expand: %d %s", r.status, r.body)
				}
			} else if got := listCount(t, s, token, "?$expand=assignments"); got != tt.expandList {
				t.Errorf("list?$expand=assignments: %d configurations, want %d", got, tt.expandList)
			}
		})
	}
	if _, err := ParseReadBehaviour("expand-sometimes"); err == nil || !strings.Contains(err.Error(), "expand-empty") {
		t.Errorf("ParseReadBehaviour of an unknown name: %v", err)
	}
	if b, err := ParseReadBehaviour(""); err != nil || b != ReadsHonourExpand {
		t.Errorf(`ParseReadBehaviour(""): %q, %v`, b, err)
	}
}

// An unknown segment after the id answers what OData answers for a segment
// the metadata does not declare, with the client's spelling.
func TestUnknownSegment(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/groupAssignmentz", "")
	e := parseGraphError(t, r)
	if r.status != http.StatusBadRequest || e.Error.Code != "BadRequest" || e.Error.Message != "Resource not found for the segment 'groupAssignmentz'." {
		t.Errorf("status %d, %+v", r.status, e.Error)
	}
}

func TestRoundTrips(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	req := func(received, answered int) Request { return Request{Received: at(received), Answered: at(answered)} }
	tests := []struct {
		log  []Request
		want int
	}{
		{nil, 0},
		{[]Request{req(0, 150)}, 1},
		{[]Request{req(0, 150), req(1, 151), req(2, 152)}, 1},                                 // three concurrent reads
		{[]Request{req(0, 150), req(151, 301), req(302, 452)}, 3},                             // one after the other
		{[]Request{req(302, 452), req(0, 150), req(151, 301), req(152, 302), req(1, 151)}, 3}, // any order
		{[]Request{req(0, 150), req(150, 300)}, 2},                                            // sent on the answer
	}
	for i, tt := range tests {
		if got := RoundTrips(tt.log); got != tt.want {
			t.Errorf("%d: %d round trips, want %d", i, got, tt.want)
		}
	}
}

// `make test-reads` loops over READ_BEHAVIOURS: it must name every behaviour.
func TestMakefileNamesEveryReadBehaviour(t *testing.T) {
	b, err := os.ReadFile("../../GNUmakefile")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "READ_BEHAVIOURS := "); ok {
			names = strings.Fields(v)
		}
	}
	want := make([]string, len(ReadBehaviours))
	for i, r := range ReadBehaviours {
		want[i] = string(r)
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("GNUmakefile READ_BEHAVIOURS = %v, want %v (the default first)", names, want)
	}
}
