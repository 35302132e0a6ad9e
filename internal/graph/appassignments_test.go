package graph

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
)

// everyAppAssignment holds every intent, every target type an app takes
// and settings null, empty, partly and wholly set.
func everyAppAssignment() AppAssignments {
	return AppAssignments{Assignments: []AppAssignment{
		{Intent: IntentRequired, Target: Target{ODataType: TargetGroup, GroupID: emuGroupA, FilterID: emuGroupB, FilterType: FilterTypeInclude}},
		{Intent: IntentUninstall, Target: Target{ODataType: TargetExclusionGroup, GroupID: emuGroupB}, Settings: &IOSLobAppAssignmentSettings{}},
		{Intent: IntentAvailable, Target: Target{ODataType: TargetAllLicensedUsers, FilterID: emuGroupA, FilterType: FilterTypeExclude},
			Settings: &IOSLobAppAssignmentSettings{IsRemovable: ptr(false), PreventManagedAppBackup: ptr(true)}},
		{Intent: IntentRequired, Target: Target{ODataType: TargetAllDevices}, Settings: &IOSLobAppAssignmentSettings{
			VPNConfigurationID: ptr(emuGroupA), UninstallOnDeviceRemoval: ptr(false), IsRemovable: ptr(true), PreventManagedAppBackup: ptr(false)}},
		{Intent: IntentAvailableWithoutEnrollment, Target: Target{ODataType: TargetConfigurationManagerCollection, CollectionID: "SMS00001"}},
	}}
}

// publishedEmulatorApp seeds a published app, as the portal leaves one.
func publishedEmulatorApp(t *testing.T, srv *graphfake.Server) string {
	t.Helper()
	var b bytes.Buffer
	if err := ipatest.Write(&b, ipatest.Options{BundleName: "Sales", BundleID: "com.example.sales", VersionNumber: "1.0", BuildNumber: "1", MinimumOSVersion: "16.0"}); err != nil {
		t.Fatal(err)
	}
	id, err := srv.AddIOSLobApp(graphfake.IOSLobAppSeed{IPA: b.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// AssignApp then GetAppAssignments against the emulator: what was written
// reads back as the same set, every page of it, with the app's publishing
// state beside it.
func TestAppAssignmentsRoundTripThroughTheEmulator(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	srv.SetPageSize(2)
	ctx := context.Background()
	appID := publishedEmulatorApp(t, srv)

	want := everyAppAssignment()
	if err := c.AssignApp(ctx, strings.ToUpper(appID), want); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetAppAssignments(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.SameSet(want) || len(got.Assignments) != 5 || got.PublishingState != "published" {
		t.Fatalf("read back %+v, want %+v", got, want)
	}
	for _, a := range got.Assignments {
		if a.ID == "" || (a.Settings != nil && a.Settings.ODataType != TypeIOSLobAppAssignmentSettings) {
			t.Errorf("entry %+v", a)
		}
	}
	changed := everyAppAssignment()
	changed.Assignments[2].Settings.IsRemovable = nil // null is true: no longer the same
	if got.SameSet(changed) {
		t.Error("a set with another setting compares equal")
	}

	if err := c.AssignApp(ctx, appID, AppAssignments{}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetAppAssignments(ctx, appID); err != nil || len(got.Assignments) != 0 {
		t.Fatalf("after an empty assign: %+v, %v", got, err)
	}
}

// An assignment made in the portal with null settings reads as Intune's
// defaults: the same as the defaults written out.
func TestPortalAssignmentWithNullSettingsEqualsTheDefaults(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	ctx := context.Background()
	appID := publishedEmulatorApp(t, srv)
	if err := srv.SetAppAssignments(appID, []graphfake.AppAssignment{
		{Intent: graphfake.IntentRequired, Target: graphfake.Target{ODataType: TargetGroup, GroupID: strings.ToUpper(emuGroupA)}},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetAppAssignments(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Assignments) != 1 || got.Assignments[0].Settings != nil {
		t.Fatalf("read %+v", got.Assignments)
	}
	defaults := AppAssignments{Assignments: []AppAssignment{{Intent: IntentRequired, Target: Target{ODataType: TargetGroup, GroupID: emuGroupA, FilterType: FilterTypeNone},
		Settings: &IOSLobAppAssignmentSettings{UninstallOnDeviceRemoval: ptr(true), IsRemovable: ptr(true), PreventManagedAppBackup: ptr(false)}}}}
	if !got.SameSet(defaults) {
		t.Errorf("null settings differ from the explicit defaults: %+v", got.Assignments[0])
	}
	defaults.Assignments[0].Settings.PreventManagedAppBackup = ptr(true)
	if got.SameSet(defaults) {
		t.Error("null settings equal a set that prevents backups")
	}
}

// What the emulator refuses reaches the caller as Graph's error: an app
// that is not published yet, and an app that is gone.
func TestAssignAppErrorsFromTheEmulator(t *testing.T) {
	c, srv := newEmulatorClient(t, Options{})
	ctx := context.Background()
	a, err := c.CreateIOSLobApp(ctx, IOSLobAppInput{DisplayName: ptr("Sales"), BundleID: ptr("com.example.sales"), FileName: ptr("Sales.ipa")})
	if err != nil {
		t.Fatal(err)
	}
	err = c.AssignApp(ctx, a.ID, everyAppAssignment())
	var ge *Error
	if !errors.As(err, &ge) || ge.StatusCode != http.StatusBadRequest || !strings.Contains(ge.Message, "notPublished") {
		t.Errorf("assign of an unpublished app: %v", err)
	}
	if got, err := c.GetAppAssignments(ctx, a.ID); err != nil || got.PublishingState != "notPublished" {
		t.Errorf("read of an unpublished app: %+v, %v", got, err)
	}
	srv.DeleteIOSLobApp(a.ID)
	if _, err := c.GetAppAssignments(ctx, a.ID); !errors.As(err, &ge) || ge.StatusCode != http.StatusNotFound {
		t.Errorf("read of a deleted app: %v", err)
	}
}
