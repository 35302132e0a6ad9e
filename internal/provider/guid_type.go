package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// Graph returns GUIDs in lower case; users paste them from the portal in
// either case. guidType is a string whose values are semantically equal when
// they differ only in case, so a refresh never turns "ABC…" in state into
// "abc…" and shows a diff, and whose values are validated at plan time.

var (
	_ basetypes.StringTypable                    = guidType{}
	_ basetypes.StringValuableWithSemanticEquals = guidValue{}
	_ xattr.ValidateableAttribute                = guidValue{}
)

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidPattern.MatchString(s) }

// checkImportID refuses, before any call to Graph, an import id that cannot
// be a configuration id. Both resources import by configuration id.
func checkImportID(id string, diags *diag.Diagnostics) bool {
	if isGUID(id) {
		return true
	}
	diags.AddError("Invalid import id",
		fmt.Sprintf("Import takes the configuration id, a GUID such as 00000000-0000-0000-0000-000000000000; got %q.", id))
	return false
}

type guidType = stringType[guidValue]

type guidValue struct {
	basetypes.StringValue
}

func newGUIDValue(s string) guidValue { return guidValue{StringValue: basetypes.NewStringValue(s)} }

func newGUIDNull() guidValue { return guidValue{StringValue: basetypes.NewStringNull()} }

func (v guidValue) Type(context.Context) attr.Type { return guidType{} }

func (guidValue) wrap(s basetypes.StringValue) guidValue { return guidValue{StringValue: s} }

func (v guidValue) Equal(o attr.Value) bool {
	other, ok := o.(guidValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

func (v guidValue) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	other, ok := newValuable.(guidValue)
	if !ok {
		return false, nil
	}
	return strings.EqualFold(v.ValueString(), other.ValueString()), nil
}

func (v guidValue) ValidateAttribute(_ context.Context, req xattr.ValidateAttributeRequest, resp *xattr.ValidateAttributeResponse) {
	if v.IsNull() || v.IsUnknown() || isGUID(v.ValueString()) {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid GUID",
		fmt.Sprintf("%s must be a GUID such as 00000000-0000-0000-0000-000000000000, got %q.", req.Path, v.ValueString()))
}
