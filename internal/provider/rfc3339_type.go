package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// Graph stores timestamps in UTC and answers "2027-01-31T00:00:00Z" for a
// configuration that said "2027-01-31T01:00:00+01:00". rfc3339Type is a
// string whose values are semantically equal when they name the same
// instant, so that normalisation never shows as a diff, and whose values are
// validated at plan time. (terraform-plugin-framework-timetypes' RFC3339
// compares the offset too, which is exactly the diff to avoid here.)

var (
	_ basetypes.StringTypable                    = rfc3339Type{}
	_ basetypes.StringValuableWithSemanticEquals = rfc3339Value{}
	_ xattr.ValidateableAttribute                = rfc3339Value{}
)

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
