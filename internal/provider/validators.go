package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Plan-time validators of the provider's own, for rules the framework's
// validators state in words a user has to decode. Each error names the
// attributes involved and says what would be valid, as every other
// plan-time error of the provider does.

// Assignment filters, for every resource whose target has filter_id and
// filter_type side by side (the provisioning assignment's target, the app
// assignment's).

// filterIDNeedsFilterType: filter_id is set, so filter_type must be too.
func filterIDNeedsFilterType() validator.String {
	return alsoRequires("filter_type",
		`"include" to assign only to the devices the filter selects, or "exclude" to leave those devices out`)
}

// filterTypeNeedsFilterID: filter_type is set, so filter_id must be too.
func filterTypeNeedsFilterID() validator.String {
	return alsoRequires("filter_id", "the id (a GUID) of the assignment filter that selects the devices")
}

// alsoRequires is the framework's AlsoRequires for a sibling attribute (one
// of the same object or block): when the attribute is set, sibling must be
// set too. valid says what sibling takes. Like AlsoRequires, it waits for
// unknown values, and a null attribute needs nothing.
func alsoRequires(sibling, valid string) validator.String {
	return siblingRequired{sibling: sibling, valid: valid}
}

type siblingRequired struct {
	sibling string // the attribute's name, beside the validated one
	valid   string // what it takes, for the error
}

func (v siblingRequired) Description(_ context.Context) string {
	return fmt.Sprintf("needs %s beside it: %s", v.sibling, v.valid)
}

func (v siblingRequired) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v siblingRequired) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	paths, diags := req.Config.PathMatches(ctx, req.PathExpression.Merge(path.MatchRelative().AtParent().AtName(v.sibling)))
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	for _, p := range paths {
		var sibling attr.Value
		diags := req.Config.GetAttribute(ctx, p, &sibling)
		resp.Diagnostics.Append(diags...)
		if diags.HasError() || sibling.IsUnknown() || !sibling.IsNull() {
			continue
		}
		// Terraform cannot point at one block of a set, so the error
		// quotes the value the user wrote and names the block.
		name, block := attributeName(req.Path)
		where := ""
		if block != "" {
			where = " in its " + block + " block"
		}
		resp.Diagnostics.AddAttributeError(req.Path, "Missing "+v.sibling,
			fmt.Sprintf("%s = %q needs %s beside it%s: %s. Add %s, or remove %s.",
				name, req.ConfigValue.ValueString(), v.sibling, where, v.valid, v.sibling, name))
	}
}

// attributeName is the name of the attribute at p (filter_id, not
// target[...].filter_id) and that of the block around it ("" at the top).
func attributeName(p path.Path) (name, block string) {
	last, parent := p.Steps().LastStep()
	n, ok := last.(path.PathStepAttributeName)
	if !ok {
		return p.String(), ""
	}
	for steps := parent; len(steps) > 0; {
		var step path.PathStep
		step, steps = steps.LastStep()
		if b, ok := step.(path.PathStepAttributeName); ok {
			return string(n), string(b)
		}
	}
	return string(n), ""
}
