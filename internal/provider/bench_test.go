package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// The provider's share of a schema fetch: what GetProviderSchema costs
// once Terraform has started the plugin. `make bench` runs it.
func BenchmarkGetProviderSchema(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		srv, err := providerserver.NewProtocol6WithError(New("bench")())()
		if err != nil {
			b.Fatal(err)
		}
		resp, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil || len(resp.Diagnostics) > 0 || resp.ResourceSchemas["intune_ios_lob_provisioning_assignment"] == nil {
			b.Fatalf("%v %v", err, resp.Diagnostics)
		}
	}
}

// Graph's answer to the model and back, as every refresh and apply does.
func BenchmarkFlattenExpand(b *testing.B) {
	ctx := context.Background()
	in := &graph.Assignments{
		Groups: []graph.GroupAssignment{{TargetGroupID: "11111111-1111-1111-1111-111111111111"}, {TargetGroupID: "22222222-2222-2222-2222-222222222222"}},
		Targets: []graph.TargetAssignment{
			{Target: graph.Target{ODataType: graph.TargetGroup, GroupID: "33333333-3333-3333-3333-333333333333", FilterID: "99999999-9999-9999-9999-999999999999", FilterType: "include"}},
			{Target: graph.Target{ODataType: graph.TargetExclusionGroup, GroupID: "44444444-4444-4444-4444-444444444444", FilterType: "none"}},
			{Target: graph.Target{ODataType: graph.TargetAllDevices, FilterType: "none"}},
			{Target: graph.Target{ODataType: graph.TargetConfigurationManagerCollection, CollectionID: "SMS00001", FilterType: "none"}},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		groups, targets, diags := flattenAssignments(ctx, in)
		if diags.HasError() {
			b.Fatal(diags)
		}
		if _, diags := expandAssignments(ctx, assignmentModel{Groups: groups, Targets: targets}); diags.HasError() {
			b.Fatal(diags)
		}
	}
}
