package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// What every resource, data source and list resource shares with the
// provider that configures it. provider.go registers them and configures
// the provider; they build on this file, never on provider.go, so the
// package reads top-down (ARCHITECTURE.md, "The provider package").

// providerData is what Configure hands to every resource of one provider
// instance: one Graph client, and with it one cached token and one write
// budget; and the record of which configuration each assignment owns.
type providerData struct {
	client *graph.Client
	owners *owners
}

// configuredResource is embedded by every resource and list resource, and
// configuredDataSource by every data source: their Configure takes the
// provider data. Its fields are nil while Terraform validates, before the
// provider is configured.
type configuredResource struct{ providerData }

func (c *configuredResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := fromProviderData(req.ProviderData, &resp.Diagnostics); pd != nil {
		c.providerData = *pd
	}
}

// entityResource is embedded by the configuration and app resources, each
// a Graph entity that its `id` identifies: besides the provider data, their
// type name, their identity (the id, identity.go) and their import.
type entityResource struct {
	configuredResource
	typeName string // after the provider's name: "_ios_lob_app"
	identity string // the identity's description
}

// newEntityResource is the factory of a resource T that embeds
// entityResource; its constraint is what every such resource implements.
func newEntityResource[T any, P interface {
	*T
	resource.ResourceWithConfigure
	resource.ResourceWithImportState
	resource.ResourceWithIdentity
	resource.ResourceWithModifyPlan
	entity() *entityResource
}](typeName, identity string) func() resource.Resource {
	return func() resource.Resource {
		r := P(new(T))
		*r.entity() = entityResource{typeName: typeName, identity: identity}
		return r
	}
}

func (r *entityResource) entity() *entityResource { return r }

func (r *entityResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + r.typeName
}

// IdentitySchema: the entity's id, lower case, as `id` (identity.go).
func (r *entityResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("id", r.identity)
}

// ImportState takes the entity's id, by id or by identity; the read that
// follows fills the rest.
func (r *entityResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, "id")
}

type configuredDataSource struct{ providerData }

func (c *configuredDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if pd := fromProviderData(req.ProviderData, &resp.Diagnostics); pd != nil {
		c.providerData = *pd
	}
}

// fromProviderData is the provider data, nil before the provider is configured.
func fromProviderData(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T; this is a bug in the provider.", data))
		return nil
	}
	return pd
}

// newDataSourceOf makes the zero value of a data source type: what the
// framework asks for each.
func newDataSourceOf[T any, P interface {
	*T
	datasource.DataSource
}]() datasource.DataSource {
	return P(new(T))
}
