package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// The schema pieces every assignment resource shares.

// assignedObjectAttributes are `id` and the attribute naming the assigned
// object (idAttribute), which only a change to another object replaces.
func assignedObjectAttributes(idAttribute, noun, description string) map[string]schema.Attribute {
	replaced := "Changing to another " + noun + " replaces the resource."
	return map[string]schema.Attribute{
		"id": keptString("The " + noun + " id."),
		idAttribute: schema.StringAttribute{
			Required:            true,
			CustomType:          guidType{},
			MarkdownDescription: description + " Changing it replaces the resource.",
			PlanModifiers: []planmodifier.String{
				stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
					// A change of case only names the same object.
					resp.RequiresReplace = !strings.EqualFold(req.StateValue.ValueString(), req.PlanValue.ValueString())
				}, replaced, replaced),
			},
		},
	}
}

// withTargetAttributes adds to attrs the attributes of an assignment target
// (deviceAndAppManagementAssignmentTarget) whose `type` is one of kinds.
func withTargetAttributes(kinds []string, attrs map[string]schema.Attribute) map[string]schema.Attribute {
	attrs["type"] = schema.StringAttribute{
		Required:            true,
		MarkdownDescription: "One of " + describeKinds(kinds) + ".",
		Validators:          []validator.String{stringvalidator.OneOf(kinds...)},
	}
	attrs["group_id"] = schema.StringAttribute{
		Optional:            true,
		CustomType:          guidType{},
		MarkdownDescription: "The Entra group id. Required for `group` and `exclusion_group`, refused for the other types.",
	}
	attrs["filter_id"] = schema.StringAttribute{
		Optional:            true,
		CustomType:          guidType{},
		MarkdownDescription: "The id of an assignment filter. Needs `filter_type`; refused on `exclusion_group`.",
		Validators:          []validator.String{filterIDNeedsFilterType()},
	}
	attrs["filter_type"] = schema.StringAttribute{
		Optional:            true,
		MarkdownDescription: "`include` or `exclude`: whether the filter selects or removes devices. Needs `filter_id`.",
		Validators: []validator.String{
			stringvalidator.OneOf(graph.FilterTypeInclude, graph.FilterTypeExclude),
			filterTypeNeedsFilterID(),
		},
	}
	return attrs
}

// describeKinds lists target type words for a description, with the
// portal's names where they differ.
func describeKinds(kinds []string) string {
	portal := map[string]string{"group": "Included groups", "exclusion_group": "Excluded groups", "all_licensed_users": "All users"}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = "`" + k + "`"
		if p, ok := portal[k]; ok {
			parts[i] += " (" + p + ")"
		}
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
