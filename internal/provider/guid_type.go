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
	"github.com/hashicorp/terraform-plugin-go/tftypes"
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

type guidType struct {
	basetypes.StringType
}

func (t guidType) Equal(o attr.Type) bool {
	_, ok := o.(guidType)
	return ok
}

func (t guidType) String() string { return "guidType" }

func (t guidType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return guidValue{StringValue: in}, nil
}

func (t guidType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	sv, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return guidValue{StringValue: sv}, nil
}

func (t guidType) ValueType(context.Context) attr.Value { return guidValue{} }

type guidValue struct {
	basetypes.StringValue
}

func newGUIDValue(s string) guidValue { return guidValue{StringValue: basetypes.NewStringValue(s)} }

func newGUIDNull() guidValue { return guidValue{StringValue: basetypes.NewStringNull()} }

func (v guidValue) Type(context.Context) attr.Type { return guidType{} }

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
