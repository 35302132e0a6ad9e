package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
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
