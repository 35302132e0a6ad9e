package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// FuzzModelRoundTrip converts whatever Graph could return into the
// Terraform model and back. It must never panic; a set of known target
// types must come back as the same set (what assign would send is what Graph
// holds); an unknown type must be an error that names it; and converting
// twice must change nothing more. `make test` runs it briefly, `make fuzz`
// longer.
func FuzzModelRoundTrip(f *testing.F) {
	f.Add([]byte{1, 0x11, 2, 0, 0x22, 1, 0x33})
	f.Add([]byte{3, 0xaa, 0xbb, 0xcc, 5, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5})
	f.Add([]byte{0, 1, 5, 0})
	f.Add([]byte("SMS00001 configuration manager collection with an odd id: \x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		in, unknown := assignmentsFrom(data)

		groups, targets, diags := flattenAssignments(ctx, &in)
		if unknown != "" {
			if !diags.HasError() || !strings.Contains(fmt.Sprint(diags), unknown) {
				t.Fatalf("unknown target type %q: diagnostics %v", unknown, diags)
			}
			return
		}
		if diags.HasError() {
			t.Fatalf("flattening %+v: %v", in, diags)
		}
		out, diags := expandAssignments(ctx, assignmentModel{Groups: groups, Targets: targets})
		if diags.HasError() {
			t.Fatalf("expanding: %v", diags)
		}
		if want := withoutIgnoredFilters(in); !out.SameSet(want) {
			t.Fatalf("round trip changed the set:\n got %+v\nwant %+v", out, want)
		}
		groups2, targets2, diags := flattenAssignments(ctx, &out)
		if diags.HasError() || !groups2.Equal(groups) || !targets2.Equal(targets) {
			t.Fatalf("second round trip differs: %v\n%v\n%v", diags, groups2, targets2)
		}
	})
}

// withoutIgnoredFilters drops a filter id whose type says there is no
// filter: Graph's way of writing none, and what the model leaves out.
func withoutIgnoredFilters(a graph.Assignments) graph.Assignments {
	out := graph.Assignments{Groups: a.Groups}
	for _, ta := range a.Targets {
		if ta.Target.FilterType == "" || ta.Target.FilterType == graph.FilterTypeNone {
			ta.Target.FilterID = ""
		}
		out.Targets = append(out.Targets, ta)
	}
	return out
}

// assignmentsFrom turns fuzz bytes into what Graph could return: GUIDs in
// either case, every target type plus an unknown one, filters present,
// absent or contradictory, odd collection ids. unknown is the unknown type
// it used, if any.
func assignmentsFrom(data []byte) (a graph.Assignments, unknown string) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	guid := func() string {
		b := next()
		g := fmt.Sprintf("%08x-0000-4000-8000-%012x", b, int(b)*7919)
		if b%2 == 1 {
			g = strings.ToUpper(g)
		}
		return g
	}
	kinds := []string{graph.TargetGroup, graph.TargetExclusionGroup, graph.TargetAllDevices, graph.TargetAllLicensedUsers, graph.TargetConfigurationManagerCollection}
	for range int(next() % 4) {
		a.Groups = append(a.Groups, graph.GroupAssignment{ID: guid(), TargetGroupID: guid()})
	}
	for range int(next() % 6) {
		t := graph.Target{}
		switch k := int(next() % 6); k {
		case 5:
			t.ODataType = "#microsoft.graph.futureAssignmentTarget"
			unknown = t.ODataType
		default:
			t.ODataType = kinds[k]
		}
		switch t.ODataType {
		case graph.TargetGroup, graph.TargetExclusionGroup:
			t.GroupID = guid()
		case graph.TargetConfigurationManagerCollection:
			n := int(next() % 12)
			t.CollectionID = string(data[:min(n, len(data))])
			data = data[min(n, len(data)):]
			t.CollectionID = strings.ToValidUTF8(t.CollectionID, "?") // JSON from Graph is valid UTF-8
		}
		switch next() % 4 {
		case 0:
			t.FilterType = graph.FilterTypeNone
		case 1:
			t.FilterType, t.FilterID = graph.FilterTypeInclude, guid()
		case 2:
			t.FilterType, t.FilterID = graph.FilterTypeExclude, guid()
		case 3:
			t.FilterType, t.FilterID = graph.FilterTypeNone, guid() // contradictory, as a portal edit might leave it
		}
		a.Targets = append(a.Targets, graph.TargetAssignment{ID: guid(), Target: t})
	}
	return a, unknown
}
