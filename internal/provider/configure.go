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

// newOf and newDataSourceOf make the zero value of a resource or data
// source type: what the framework asks for each.
func newOf[T any, P interface {
	*T
	resource.Resource
}]() resource.Resource {
	return P(new(T))
}

func newDataSourceOf[T any, P interface {
	*T
	datasource.DataSource
}]() datasource.DataSource {
	return P(new(T))
}
