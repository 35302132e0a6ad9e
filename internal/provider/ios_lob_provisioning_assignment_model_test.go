package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

func TestFlattenThenExpandKeepsEveryTarget(t *testing.T) {
	ctx := context.Background()
	in := &graph.Assignments{
		Groups: []graph.GroupAssignment{{ID: "a", TargetGroupID: "11111111-1111-1111-1111-111111111111"}},
		Targets: []graph.TargetAssignment{
			{Target: graph.Target{ODataType: graph.TargetGroup, GroupID: "22222222-2222-2222-2222-222222222222", FilterID: "99999999-9999-9999-9999-999999999999", FilterType: "include"}},
			{Target: graph.Target{ODataType: graph.TargetExclusionGroup, GroupID: "33333333-3333-3333-3333-333333333333", FilterType: "none"}},
			{Target: graph.Target{ODataType: graph.TargetAllDevices, FilterID: "99999999-9999-9999-9999-999999999999", FilterType: "exclude"}},
			{Target: graph.Target{ODataType: graph.TargetAllLicensedUsers, FilterType: "none"}},
			{Target: graph.Target{ODataType: graph.TargetConfigurationManagerCollection, CollectionID: "SMS00001", FilterType: "none"}},
		},
	}
	groups, targets, diags := flattenAssignments(ctx, in)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if len(groups.Elements()) != 1 || len(targets.Elements()) != 5 {
		t.Fatalf("flattened %d groups, %d targets", len(groups.Elements()), len(targets.Elements()))
	}
	out, diags := expandAssignments(ctx, assignmentModel{Groups: groups, Targets: targets})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if len(out.Groups) != 1 || out.Groups[0].TargetGroupID != in.Groups[0].TargetGroupID {
		t.Errorf("groups = %+v", out.Groups)
	}
	want := map[string]bool{}
	for _, ta := range in.Targets {
		want[key(ta.Target)] = true
	}
	for _, ta := range out.Targets {
		if !want[key(ta.Target)] {
			t.Errorf("round trip changed or invented %+v", ta.Target)
		}
		delete(want, key(ta.Target))
	}
	if len(want) != 0 {
		t.Errorf("round trip lost %v", want)
	}
}

// "none" from Graph and an absent filter in configuration are the same thing.
func key(t graph.Target) string {
	if t.FilterType == "" {
		t.FilterType = "none"
	}
	return strings.Join([]string{t.ODataType, t.GroupID, t.CollectionID, t.FilterID, t.FilterType}, "|")
}

func TestFlattenRefusesUnknownTargetTypes(t *testing.T) {
	_, _, diags := flattenAssignments(context.Background(), &graph.Assignments{
		Targets: []graph.TargetAssignment{
			{Target: graph.Target{ODataType: graph.TargetAllDevices}},
			{Target: graph.Target{ODataType: "#microsoft.graph.scopeTagGroupAssignmentTarget"}},
		},
	})
	if !diags.HasError() {
		t.Fatal("an unknown target type was accepted")
	}
	if d := diags.Errors()[0].Detail(); !strings.Contains(d, "scopeTagGroupAssignmentTarget") {
		t.Errorf("detail does not name the type: %s", d)
	}
}

func TestFlattenEmptyIsEmptyNotNull(t *testing.T) {
	groups, targets, diags := flattenAssignments(context.Background(), &graph.Assignments{})
	if diags.HasError() {
		t.Fatal(diags)
	}
	for _, s := range []types.Set{groups, targets} {
		if s.IsNull() || len(s.Elements()) != 0 {
			t.Errorf("got %v, want an empty set (no blocks in configuration is an empty set)", s)
		}
	}
}

func TestGUIDSemanticEqualityIgnoresCase(t *testing.T) {
	ctx := context.Background()
	a := newGUIDValue("ABCDEF01-2345-6789-ABCD-EF0123456789")
	b := newGUIDValue("abcdef01-2345-6789-abcd-ef0123456789")
	c := newGUIDValue("abcdef01-2345-6789-abcd-ef0123456780")
	if eq, _ := a.StringSemanticEquals(ctx, b); !eq {
		t.Error("upper and lower case of one GUID differ")
	}
	if eq, _ := a.StringSemanticEquals(ctx, c); eq {
		t.Error("different GUIDs are equal")
	}
	for s, want := range map[string]bool{
		"abcdef01-2345-6789-abcd-ef0123456789":   true,
		"{abcdef01-2345-6789-abcd-ef0123456789}": false,
		"abcdef0123456789abcdef0123456789":       false,
		"ghijkl01-2345-6789-abcd-ef0123456789":   false,
		"":                                       false,
	} {
		if isGUID(s) != want {
			t.Errorf("isGUID(%q) = %v", s, !want)
		}
	}
}

// Graph may hold an assignment twice (differing only in the case of a GUID,
// or in a filter id that filter type none ignores); a Terraform set holds it once.
func TestFlattenDropsDuplicates(t *testing.T) {
	g := "11111111-aaaa-1111-1111-111111111111"
	in := &graph.Assignments{
		Groups: []graph.GroupAssignment{{TargetGroupID: g}, {TargetGroupID: strings.ToUpper(g)}},
		Targets: []graph.TargetAssignment{
			{Target: graph.Target{ODataType: graph.TargetAllDevices, FilterType: "none"}},
			{Target: graph.Target{ODataType: graph.TargetAllDevices, FilterType: "none", FilterID: g}},
			{Target: graph.Target{ODataType: graph.TargetAllDevices, FilterType: "include", FilterID: g}},
		},
	}
	groups, targets, diags := flattenAssignments(context.Background(), in)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if len(groups.Elements()) != 1 || len(targets.Elements()) != 2 {
		t.Errorf("flattened %d groups and %d targets, want 1 and 2", len(groups.Elements()), len(targets.Elements()))
	}
}
