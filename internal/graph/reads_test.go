package graph

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

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
