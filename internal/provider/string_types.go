package provider

// Custom string types whose values compare semantically: GUIDs without
// regard to case, timestamps as instants. stringType is their shared attr.Type.

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Each value semantically equal and validated at plan time.
var (
	_ basetypes.StringValuableWithSemanticEquals = guidValue{}
	_ xattr.ValidateableAttribute                = guidValue{}
	_ basetypes.StringValuableWithSemanticEquals = rfc3339Value{}
	_ xattr.ValidateableAttribute                = rfc3339Value{}
)

// stringValueKind is what a custom string value (guidValue, rfc3339Value)
// implements for stringType: a way to wrap a plain string in it.
type stringValueKind[V any] interface {
	basetypes.StringValuable
	wrap(basetypes.StringValue) V
}

// stringType is the attr.Type of a custom string value V; the value carries
// the behaviour (semantic equality, validation), the type only converts.
type stringType[V stringValueKind[V]] struct {
	basetypes.StringType
}

func (t stringType[V]) Equal(o attr.Type) bool {
	_, ok := o.(stringType[V])
	return ok
}

func (t stringType[V]) String() string {
	var v V
	return fmt.Sprintf("stringType[%T]", v)
}

func (t stringType[V]) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	var v V
	return v.wrap(in), nil
}

func (t stringType[V]) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	sv, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	var zero V
	return zero.wrap(sv), nil
}

func (t stringType[V]) ValueType(context.Context) attr.Value {
	var v V
	return v
}

// Graph returns GUIDs in lower case; users paste them from the portal in
// either case. guidType is a string whose values are semantically equal when
// they differ only in case, so a refresh never turns "ABC…" in state into
// "abc…" and shows a diff, and whose values are validated at plan time.

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

// Graph stores timestamps in UTC and answers "2027-01-31T00:00:00Z" for a
// configuration that said "2027-01-31T01:00:00+01:00". rfc3339Type is a
// string whose values are semantically equal when they name the same
// instant, so that normalisation never shows as a diff, and whose values are
// validated at plan time. (terraform-plugin-framework-timetypes' RFC3339
// compares the offset too, which is exactly the diff to avoid here.)

type rfc3339Type = stringType[rfc3339Value]

type rfc3339Value struct {
	basetypes.StringValue
}

func newRFC3339Null() rfc3339Value { return rfc3339Value{StringValue: basetypes.NewStringNull()} }

// newRFC3339Time renders t the way Graph does, in UTC.
func newRFC3339Time(t time.Time) rfc3339Value {
	return rfc3339Value{StringValue: basetypes.NewStringValue(t.UTC().Format(time.RFC3339Nano))}
}

func (v rfc3339Value) Type(context.Context) attr.Type { return rfc3339Type{} }

func (rfc3339Value) wrap(s basetypes.StringValue) rfc3339Value { return rfc3339Value{StringValue: s} }

func (v rfc3339Value) Equal(o attr.Value) bool {
	other, ok := o.(rfc3339Value)
	return ok && v.StringValue.Equal(other.StringValue)
}

// Time parses the value; ok is false for null, unknown or malformed values.
func (v rfc3339Value) Time() (time.Time, bool) {
	if v.IsNull() || v.IsUnknown() {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	return t, err == nil
}

func (v rfc3339Value) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	other, ok := newValuable.(rfc3339Value)
	if !ok {
		return false, nil
	}
	a, okA := v.Time()
	b, okB := other.Time()
	return okA && okB && a.Equal(b), nil
}

func (v rfc3339Value) ValidateAttribute(_ context.Context, req xattr.ValidateAttributeRequest, resp *xattr.ValidateAttributeResponse) {
	if v.IsNull() || v.IsUnknown() {
		return
	}
	if _, ok := v.Time(); !ok {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid timestamp",
			fmt.Sprintf("%s must be an RFC 3339 timestamp such as 2027-01-31T00:00:00Z (or with an offset, 2027-01-31T09:00:00+09:00), got %q.", req.Path, v.ValueString()))
	}
}
