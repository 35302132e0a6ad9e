package provider

import (
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

func TestOwners(t *testing.T) {
	const id = "6f1b7e5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
	const tn = "intune_ios_lob_provisioning_assignment"
	a := graph.Assignments{Groups: []graph.GroupAssignment{{TargetGroupID: "aaaaaaaa-0000-0000-0000-00000000000a"}}}
	b := graph.Assignments{Groups: []graph.GroupAssignment{{TargetGroupID: "bbbbbbbb-0000-0000-0000-00000000000b"}}}
	o := newOwners()
	if !o.plan(tn, id, a) || !o.plan(tn, strings.ToUpper(id), a) {
		t.Error("the same set planned twice (a replaced instance) is a conflict")
	}
	if o.plan(tn, strings.ToUpper(id), b) {
		t.Error("another set for the same configuration, in upper case, is not a conflict")
	}
	if !o.write(tn, id) || o.write(tn, strings.ToUpper(id)) {
		t.Error("a second write of one configuration in one apply is not refused")
	}
	if !o.write(tn, "0b0b0b0b-0000-0000-0000-00000000000b") || !o.write("intune_ios_lob_app_assignment", id) {
		t.Error("another object, or the same id under another resource type, is refused")
	}
}

func TestDescribeAssignments(t *testing.T) {
	a := graph.Assignments{
		Groups: []graph.GroupAssignment{{TargetGroupID: "g1"}},
		Targets: []graph.TargetAssignment{
			{Target: graph.Target{ODataType: graph.TargetAllDevices, FilterID: "f", FilterType: graph.FilterTypeExclude}},
			{Target: graph.Target{ODataType: graph.TargetConfigurationManagerCollection, CollectionID: "SMS00001", FilterType: graph.FilterTypeNone}},
			{Target: graph.Target{ODataType: "#microsoft.graph.someFutureTarget"}},
		},
	}
	want := "group g1 (legacy group assignment); target all_devices (exclude filter f); target configuration_manager_collection SMS00001; target #microsoft.graph.someFutureTarget"
	if got := describeAssignments(a); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := describeAssignments(graph.Assignments{}); got != "no assignments" {
		t.Errorf("empty: %s", got)
	}
	for range 10 {
		a.Groups = append(a.Groups, graph.GroupAssignment{TargetGroupID: "g"})
	}
	if got := describeAssignments(a); !strings.HasSuffix(got, "and 8 more") {
		t.Errorf("long: %s", got)
	}
}

// The two collections are read apart, so a read-back may show one new and
// the other old: that is lag, not another writer.
func TestEachCollectionIsOneOf(t *testing.T) {
	g := func(id string) []graph.GroupAssignment { return []graph.GroupAssignment{{TargetGroupID: id}} }
	all := []graph.TargetAssignment{{Target: graph.Target{ODataType: graph.TargetAllDevices, FilterType: graph.FilterTypeNone}}}
	before := graph.Assignments{}
	want := graph.Assignments{Groups: g("a"), Targets: all}
	for _, tt := range []struct {
		got  graph.Assignments
		want bool
	}{
		{before, true}, {want, true},
		{graph.Assignments{Groups: g("a")}, true},  // groups new, targets old
		{graph.Assignments{Targets: all}, true},    // groups old, targets new
		{graph.Assignments{Groups: g("b")}, false}, // someone else's group
		{graph.Assignments{Groups: g("b"), Targets: all}, false},
	} {
		if got := eachCollectionIsOneOf(tt.got, before, want); got != tt.want {
			t.Errorf("%+v: %v, want %v", tt.got, got, tt.want)
		}
	}
}
