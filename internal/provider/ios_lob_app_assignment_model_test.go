package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// What Graph holds, read into the set and written back, is the same set;
// null settings (a portal-made assignment) read as Intune's defaults and
// compare equal to them.
func TestFlattenThenExpandAppAssignments(t *testing.T) {
	ctx := context.Background()
	in := &graph.AppAssignments{Assignments: []graph.AppAssignment{
		{Intent: graph.IntentRequired, Target: graph.Target{ODataType: graph.TargetGroup, GroupID: "22222222-2222-2222-2222-222222222222", FilterID: "99999999-9999-9999-9999-999999999999", FilterType: "include"}},
		{Intent: graph.IntentAvailable, Target: graph.Target{ODataType: graph.TargetAllLicensedUsers, FilterType: "none"},
			Settings: &graph.IOSLobAppAssignmentSettings{ODataType: graph.TypeIOSLobAppAssignmentSettings, IsRemovable: ptr(false), VPNConfigurationID: ptr("44444444-4444-4444-4444-444444444444")}},
		{Intent: graph.IntentUninstall, Target: graph.Target{ODataType: graph.TargetExclusionGroup, GroupID: "33333333-3333-3333-3333-333333333333", FilterType: "none"},
			Settings: &graph.IOSLobAppAssignmentSettings{PreventManagedAppBackup: ptr(true), UninstallOnDeviceRemoval: ptr(false)}},
		{Intent: "availableWithoutEnrollment", Target: graph.Target{ODataType: graph.TargetGroup, GroupID: "55555555-5555-5555-5555-555555555555"}},
	}}
	set, diags := flattenAppAssignments(ctx, in)
	if diags.HasError() {
		t.Fatal(diags)
	}
	if n := len(set.Elements()); n != 4 {
		t.Fatalf("flattened %d assignments, want 4", n)
	}
	out, diags := expandAppAssignments(ctx, appAssignmentModel{Assignments: set})
	if diags.HasError() {
		t.Fatal(diags)
	}
	if !out.SameSet(*in) {
		t.Errorf("round trip changed the set:\n in  %s\n out %s", describeAppAssignments(*in), describeAppAssignments(out))
	}
	for _, a := range out.Assignments {
		if a.Settings == nil || a.Settings.UninstallOnDeviceRemoval == nil || a.Settings.IsRemovable == nil || a.Settings.PreventManagedAppBackup == nil {
			t.Errorf("settings not sent explicitly: %+v", a.Settings)
		}
	}
	changed := *in
	changed.Assignments = append([]graph.AppAssignment(nil), in.Assignments...)
	changed.Assignments[0].Settings = &graph.IOSLobAppAssignmentSettings{IsRemovable: ptr(false)}
	if changed.SameSet(*in) {
		t.Error("a changed setting compares equal")
	}
}

// What the provider cannot represent stops the refresh rather than being
// dropped (the next apply would delete it).
func TestFlattenAppAssignmentsRefusesWhatItDoesNotKnow(t *testing.T) {
	for name, a := range map[string]graph.AppAssignment{
		"intent":     {Intent: "someFutureIntent", Target: graph.Target{ODataType: graph.TargetAllDevices}},
		"target":     {Intent: graph.IntentRequired, Target: graph.Target{ODataType: "#microsoft.graph.someFutureTarget"}},
		"collection": {Intent: graph.IntentRequired, Target: graph.Target{ODataType: graph.TargetConfigurationManagerCollection, CollectionID: "SMS1"}},
		"settings":   {Intent: graph.IntentRequired, Target: graph.Target{ODataType: graph.TargetAllDevices}, Settings: &graph.IOSLobAppAssignmentSettings{ODataType: "#microsoft.graph.win32LobAppAssignmentSettings"}},
	} {
		_, diags := flattenAppAssignments(context.Background(), &graph.AppAssignments{Assignments: []graph.AppAssignment{a}})
		if !diags.HasError() || !strings.Contains(diags.Errors()[0].Detail(), "does not know") {
			t.Errorf("%s: %v", name, diags)
		}
	}
}
