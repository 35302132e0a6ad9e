package tfharness

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
)

// AppResource is one intune_ios_lob_app_assignment of a generated
// configuration, and what Graph must hold for it after an apply.
type AppResource struct {
	AppID       string
	HCL         string
	Assignments []graphfake.AppAssignment
}

// AppResources builds n app assignment resources that between them use
// every intent, the four target types, filters, each setting and upper-case
// GUIDs; resource i is named a<i>. SeedApps makes their apps.
func AppResources(n int) []AppResource {
	no, yes := false, true
	out := make([]AppResource, n)
	for i := range out {
		id, g1, g2, filter := guid(5, i), guid(6, i), guid(7, i), guid(8, i)
		r := AppResource{AppID: id}
		var body strings.Builder
		assignment := func(hcl string, a graphfake.AppAssignment) {
			fmt.Fprintf(&body, "  assignment {\n%s  }\n", hcl)
			r.Assignments = append(r.Assignments, a)
		}
		switch i % 3 {
		case 0:
			assignment(fmt.Sprintf("    intent      = \"required\"\n    type        = \"group\"\n    group_id    = %q\n    filter_id   = %q\n    filter_type = \"include\"\n", g1, filter),
				graphfake.AppAssignment{Intent: "required", Target: graphfake.Target{ODataType: groupType, GroupID: g1, FilterID: filter, FilterType: "include"}})
			assignment("    intent       = \"available\"\n    type         = \"all_licensed_users\"\n    is_removable = false\n",
				graphfake.AppAssignment{Intent: "available", Target: graphfake.Target{ODataType: allUsersType}, Settings: &graphfake.IOSLobAppAssignmentSettings{IsRemovable: &no}})
		case 1:
			assignment("    intent                     = \"required\"\n    type                       = \"all_devices\"\n    prevent_managed_app_backup = true\n",
				graphfake.AppAssignment{Intent: "required", Target: graphfake.Target{ODataType: allDevicesType}, Settings: &graphfake.IOSLobAppAssignmentSettings{PreventManagedAppBackup: &yes}})
			assignment(fmt.Sprintf("    intent   = \"uninstall\"\n    type     = \"exclusion_group\"\n    group_id = %q\n", g1),
				graphfake.AppAssignment{Intent: "uninstall", Target: graphfake.Target{ODataType: exclusionType, GroupID: g1}})
		case 2:
			// Pasted from the portal in upper case.
			assignment(fmt.Sprintf("    intent   = \"available_without_enrollment\"\n    type     = \"group\"\n    group_id = %q\n", strings.ToUpper(g1)),
				graphfake.AppAssignment{Intent: "availableWithoutEnrollment", Target: graphfake.Target{ODataType: groupType, GroupID: g1}})
			assignment(fmt.Sprintf("    intent                      = \"uninstall\"\n    type                        = \"group\"\n    group_id                    = %q\n    uninstall_on_device_removal = false\n", g2),
				graphfake.AppAssignment{Intent: "uninstall", Target: graphfake.Target{ODataType: groupType, GroupID: g2}, Settings: &graphfake.IOSLobAppAssignmentSettings{UninstallOnDeviceRemoval: &no}})
		}
		r.HCL = fmt.Sprintf("resource \"intune_ios_lob_app_assignment\" \"a%d\" {\n  app_id = %q\n%s}\n", i, id, body.String())
		out[i] = r
	}
	return out
}

// SeedApps makes the published app of each resource, as the portal would.
func SeedApps(srv *graphfake.Server, resources []AppResource) error {
	for i, r := range resources {
		var ipa bytes.Buffer
		if err := ipatest.Write(&ipa, ipatest.Options{BundleName: "App", BundleID: fmt.Sprintf("com.example.app%d", i),
			VersionNumber: "1.0", BuildNumber: "1", MinimumOSVersion: "16.0"}); err != nil {
			return err
		}
		if _, err := srv.AddIOSLobApp(graphfake.IOSLobAppSeed{ID: r.AppID, DisplayName: fmt.Sprintf("App %d", i), IPA: ipa.Bytes()}); err != nil {
			return err
		}
	}
	return nil
}

// AppConfiguration is the HCL of resources.
func AppConfiguration(resources []AppResource) string {
	var b strings.Builder
	for _, r := range resources {
		b.WriteString(r.HCL)
	}
	return b.String()
}

// AppAssignmentsKey describes a set of app assignments as Graph compares
// them, so that two sets hold the same assignments when their keys are
// equal: in any order, ids aside, GUIDs in any case, an empty FilterType as
// "none" and a null setting as Intune's default.
func AppAssignmentsKey(as []graphfake.AppAssignment) string {
	keys := make([]string, 0, len(as))
	for _, a := range as {
		s := a.Settings
		if s == nil {
			s = &graphfake.IOSLobAppAssignmentSettings{}
		}
		b := func(p *bool, def bool) bool {
			if p == nil {
				return def
			}
			return *p
		}
		vpn := ""
		if s.VPNConfigurationID != nil {
			vpn = *s.VPNConfigurationID
		}
		ft := a.Target.FilterType
		if ft == "" {
			ft = "none"
		}
		keys = append(keys, fmt.Sprintf("%s %s %s %s %s vpn=%s uninstall=%v removable=%v backup=%v", a.Intent, a.Target.ODataType,
			a.Target.GroupID, a.Target.FilterID, ft, vpn, b(s.UninstallOnDeviceRemoval, true), b(s.IsRemovable, true), b(s.PreventManagedAppBackup, false)))
	}
	return sortedLower(keys)
}
