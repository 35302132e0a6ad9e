package tfharness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// Resource is one intune_ios_lob_provisioning_assignment of a generated
// configuration, and what Graph must hold for it after an apply.
type Resource struct {
	ConfigurationID string
	HCL             string
	Groups          []string
	Targets         []graphfake.Target
}

// The target types of the generated resources.
const (
	groupType      = "#microsoft.graph.groupAssignmentTarget"
	exclusionType  = "#microsoft.graph.exclusionGroupAssignmentTarget"
	allDevicesType = "#microsoft.graph.allDevicesAssignmentTarget"
	allUsersType   = "#microsoft.graph.allLicensedUsersAssignmentTarget"
	collectionType = "#microsoft.graph.configurationManagerCollectionAssignmentTarget"
)

func guid(kind, i int) string { return fmt.Sprintf("%08x-%04x-4000-8000-%012x", i, kind, i) }

// Resources builds n resources that between them use every target type,
// filters, and upper-case GUIDs; resource i is named r<i>.
func Resources(n int) []Resource {
	out := make([]Resource, n)
	for i := range out {
		id, g1, g2, filter := guid(1, i), guid(2, i), guid(3, i), guid(4, i)
		var body strings.Builder
		r := Resource{ConfigurationID: id}
		group := func(g string) {
			fmt.Fprintf(&body, "  group {\n    group_id = %q\n  }\n", g)
			r.Groups = append(r.Groups, g)
		}
		target := func(hcl string, t graphfake.Target) {
			fmt.Fprintf(&body, "  target {\n%s  }\n", hcl)
			if t.FilterType == "" {
				t.FilterType = "none"
			}
			r.Targets = append(r.Targets, t)
		}
		switch i % 4 {
		case 0:
			group(g1)
			target(fmt.Sprintf("    type        = \"group\"\n    group_id    = %q\n    filter_id   = %q\n    filter_type = \"include\"\n", g2, filter),
				graphfake.Target{ODataType: groupType, GroupID: g2, FilterID: filter, FilterType: "include"})
		case 1:
			target(fmt.Sprintf("    type     = \"exclusion_group\"\n    group_id = %q\n", g1), graphfake.Target{ODataType: exclusionType, GroupID: g1})
			target(fmt.Sprintf("    type        = \"all_devices\"\n    filter_id   = %q\n    filter_type = \"exclude\"\n", filter),
				graphfake.Target{ODataType: allDevicesType, FilterID: filter, FilterType: "exclude"})
		case 2:
			group(g1)
			group(g2)
			target("    type = \"all_licensed_users\"\n", graphfake.Target{ODataType: allUsersType})
		case 3:
			target(fmt.Sprintf("    type          = \"configuration_manager_collection\"\n    collection_id = \"SMS%05d\"\n", i),
				graphfake.Target{ODataType: collectionType, CollectionID: fmt.Sprintf("SMS%05d", i)})
			// Pasted from the portal in upper case.
			target(fmt.Sprintf("    type     = \"group\"\n    group_id = %q\n", strings.ToUpper(g1)), graphfake.Target{ODataType: groupType, GroupID: g1})
		}
		r.HCL = fmt.Sprintf("resource \"intune_ios_lob_provisioning_assignment\" \"r%d\" {\n  configuration_id = %q\n%s}\n", i, id, body.String())
		out[i] = r
	}
	return out
}

// Configuration is the HCL of resources, after providerBlock.
func Configuration(providerBlock string, resources []Resource) string {
	var b strings.Builder
	b.WriteString(providerBlock)
	for _, r := range resources {
		b.WriteString(r.HCL)
	}
	return b.String()
}

// GroupsKey and TargetsKey describe a configuration's two collections as
// Graph compares them, so that two hold the same when their keys are equal:
// in any order, ids aside, GUIDs in any case.
func GroupsKey(groupIDs []string) string { return sortedLower(groupIDs) }

// TargetsKey: see GroupsKey.
func TargetsKey(ts []graphfake.Target) string {
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = strings.Join([]string{t.ODataType, t.GroupID, t.CollectionID, t.FilterID, t.FilterType}, "|")
	}
	return sortedLower(keys)
}

func sortedLower(ss []string) string {
	keys := make([]string, len(ss))
	for i, s := range ss {
		keys[i] = strings.ToLower(s)
	}
	slices.Sort(keys)
	return "[" + strings.Join(keys, " ") + "]"
}
