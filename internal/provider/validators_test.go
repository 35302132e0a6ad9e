package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// A block with filter_id and filter_type side by side, as an assignment's
// target has them, for the filter validators.
var filterTargetType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"filter_id": tftypes.String, "filter_type": tftypes.String}}

func filterConfig(filterID, filterType tftypes.Value) tfsdk.Config {
	return tfsdk.Config{
		Schema: schema.Schema{Blocks: map[string]schema.Block{
			"target": schema.ListNestedBlock{NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
				"filter_id":   schema.StringAttribute{Optional: true},
				"filter_type": schema.StringAttribute{Optional: true},
			}}},
		}},
		Raw: tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"target": tftypes.List{ElementType: filterTargetType}}},
			map[string]tftypes.Value{"target": tftypes.NewValue(tftypes.List{ElementType: filterTargetType}, []tftypes.Value{
				tftypes.NewValue(filterTargetType, map[string]tftypes.Value{"filter_id": filterID, "filter_type": filterType}),
			})}),
	}
}

// The error of a filter without its other half names both attributes and
// says what would be valid, in the provider's words rather than the
// framework's "Attribute ... must be specified when ... is specified".
func TestFilterValidatorsNameBothAttributes(t *testing.T) {
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	null := tftypes.NewValue(tftypes.String, nil)
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	const filter = "9c8b7a6d-5e4f-4321-8fed-cba987654321"

	cases := []struct {
		name                 string
		filterID, filterType tftypes.Value
		validated            string // filter_id or filter_type
		summary              string // "" for no error
		detail               []string
	}{
		{"filter_id without filter_type", str(filter), null, "filter_id", "Missing filter_type",
			[]string{`filter_id = "` + filter + `" needs filter_type beside it in its target block:`, `"include"`, `"exclude"`, "Add filter_type, or remove filter_id."}},
		{"filter_type without filter_id", null, str("include"), "filter_type", "Missing filter_id",
			[]string{`filter_type = "include" needs filter_id beside it in its target block:`, "the id (a GUID) of the assignment filter", "Add filter_id, or remove filter_type."}},
		{"both", str(filter), str("exclude"), "filter_id", "", nil},
		{"both, from filter_type", str(filter), str("exclude"), "filter_type", "", nil},
		{"neither", null, null, "filter_id", "", nil},
		{"filter_type known only at apply", str(filter), unknown, "filter_id", "", nil},
		{"filter_id known only at apply", unknown, null, "filter_id", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			config := filterConfig(c.filterID, c.filterType)
			at := path.Root("target").AtListIndex(0).AtName(c.validated)
			var value types.String
			if d := config.GetAttribute(context.Background(), at, &value); d.HasError() {
				t.Fatal(d)
			}
			v := filterIDNeedsFilterType()
			if c.validated == "filter_type" {
				v = filterTypeNeedsFilterID()
			}
			resp := &validator.StringResponse{}
			v.ValidateString(context.Background(), validator.StringRequest{
				Path: at, PathExpression: at.Expression(), ConfigValue: value, Config: config,
			}, resp)

			if c.summary == "" {
				if resp.Diagnostics.HasError() {
					t.Fatalf("unexpected error: %v", resp.Diagnostics)
				}
				return
			}
			if len(resp.Diagnostics) != 1 {
				t.Fatalf("want one error, got %v", resp.Diagnostics)
			}
			d := resp.Diagnostics[0]
			if d.Summary() != c.summary {
				t.Errorf("summary %q, want %q", d.Summary(), c.summary)
			}
			for _, w := range c.detail {
				if !strings.Contains(d.Detail(), w) {
					t.Errorf("detail lacks %q: %s", w, d.Detail())
				}
			}
			// The error points at the attribute the user wrote, so Terraform
			// shows that line.
			if p := attributePath(d); p == nil || !p.Equal(at) {
				t.Errorf("error at %v, want %v", p, at)
			}
		})
	}
}
